"""The review queue's filters: status (pending by default), camera, confidence, reviewer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from enforcement.models import Camera
from violations.access import city_ids_for
from violations.models import Violation

ALL = "all"


class StatusFilter(admin.SimpleListFilter):
    """The queue opens on what is waiting for review; "all" shows every status."""

    title = "status"
    parameter_name = "status"
    default = Violation.Status.PENDING

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*Violation.Status.choices, (ALL, "All statuses")]

    def value(self) -> str:
        return super().value() or self.default

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Violation]) -> QuerySet[Violation]:
        value = self.value()
        if value == ALL:
            return queryset
        return queryset.filter(status=value)


class CameraFilter(admin.SimpleListFilter):
    """Only the cameras of the reviewer's cities (no scan of the violations table)."""

    title = "camera"
    parameter_name = "camera"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        cameras = Camera.objects.order_by("code")
        city_ids = city_ids_for(request.user)
        if city_ids is not None:
            cameras = cameras.filter(city_id__in=city_ids)
        return [(str(pk), code) for pk, code in cameras.values_list("pk", "code")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Violation]) -> QuerySet[Violation]:
        value = self.value()
        return queryset.filter(camera_id=value) if value else queryset


class PlateConfidenceFilter(admin.SimpleListFilter):
    title = "plate confidence"
    parameter_name = "confidence"
    _bands = {
        "unreadable": Q(plate_unreadable=True) | Q(plate_confidence__isnull=True),
        "low": Q(plate_unreadable=False, plate_confidence__lt=0.5),
        "medium": Q(plate_unreadable=False, plate_confidence__gte=0.5, plate_confidence__lt=0.8),
        "high": Q(plate_unreadable=False, plate_confidence__gte=0.8),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("high", "High (≥ 0.8)"),
            ("medium", "Medium (0.5–0.8)"),
            ("low", "Low (< 0.5)"),
            ("unreadable", "Unreadable"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Violation]) -> QuerySet[Violation]:
        band = self._bands.get(self.value() or "")
        return queryset.filter(band) if band is not None else queryset


class ReviewerFilter(admin.SimpleListFilter):
    """Who gave the latest decision (staff users only: a small table)."""

    title = "reviewer"
    parameter_name = "reviewer"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        users = get_user_model().objects.filter(is_staff=True).order_by("username")
        return [(str(pk), name) for pk, name in users.values_list("pk", "username")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Violation]) -> QuerySet[Violation]:
        value = self.value()
        return queryset.filter(reviewed_by_id=value) if value else queryset
