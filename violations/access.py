"""Who may see and act on which violations: written once, used by services and admin.

Staff see the violations of the cities in their `StaffProfile`; superusers see all.
A violation that does not exist and one that is not yours give the same error.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db.models import QuerySet

from enforcement.models import Camera, City
from violations.errors import ViolationNotFound
from violations.models import Violation

AnyUser = AbstractUser | AnonymousUser


def city_ids_for(user: AnyUser) -> set[int] | None:
    """The cities a user works for; None means every city (superusers).

    Cached on the user object for the rest of the request, like Django's permission cache.
    """
    if not user.is_active or not user.is_staff:
        return set()
    if user.is_superuser:
        return None
    cached: set[int] | None = getattr(user, "_nigran_city_ids", None)
    if cached is None:
        cached = set(City.objects.filter(staff__user_id=user.pk).values_list("id", flat=True))
        setattr(user, "_nigran_city_ids", cached)  # noqa: B010 - a per-request cache
    return cached


def camera_ids_for(user: AnyUser) -> set[int] | None:
    """The cameras of the user's cities; None means every camera (superusers).

    Filtering violations by camera id, not by a join to the city, keeps the queue's
    count an index scan on (status, camera).
    """
    city_ids = city_ids_for(user)
    if city_ids is None:
        return None
    cached: set[int] | None = getattr(user, "_nigran_camera_ids", None)
    if cached is None:
        cached = set(Camera.objects.filter(city_id__in=city_ids).values_list("id", flat=True))
        setattr(user, "_nigran_camera_ids", cached)  # noqa: B010 - a per-request cache
    return cached


def violations_visible_to(
    user: AnyUser, queryset: QuerySet[Violation] | None = None
) -> QuerySet[Violation]:
    queryset = Violation.objects.all() if queryset is None else queryset
    camera_ids = camera_ids_for(user)
    if camera_ids is None:
        return queryset
    return queryset.filter(camera_id__in=camera_ids)


def access_violation_by_id(user: AnyUser, violation_id: int, *, lock: bool = False) -> Violation:
    """The violation if this user may act on it (locked for update when asked)."""
    queryset = violations_visible_to(user).select_related("camera", "camera__city")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=violation_id)
    except (Violation.DoesNotExist, ValueError, TypeError):
        raise ViolationNotFound(f"violation {violation_id} does not exist or is not in your cities")
