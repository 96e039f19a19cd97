"""The staff roles (auth groups) and the permissions each one holds.

Used by the data migration and by the idempotent `setup_roles` command; both pass the
model classes in so that a migration can use its historical models.
"""

from __future__ import annotations

from typing import Any

WARDEN = "warden"
SUPERVISOR = "supervisor"
OPERATOR = "operator"

_CAMERA_MODELS = ("camera", "lane", "laneline", "stopline", "signalhead", "calibrationpoint")

_WARDEN_PERMISSIONS = (
    "violations.view_violation",
    "violations.review_violation",
    "violations.view_evidence",
    "violations.view_reviewdecision",
    "violations.view_violationstatistics",
    "enforcement.view_camera",
    "enforcement.view_city",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    WARDEN: _WARDEN_PERMISSIONS,
    SUPERVISOR: _WARDEN_PERMISSIONS
    + (
        "violations.second_review_violation",
        "challans.view_challan",
        "challans.cancel_challan",
    ),
    OPERATOR: (
        "enforcement.view_city",
        *(
            f"enforcement.{action}_{model}"
            for model in _CAMERA_MODELS
            for action in ("view", "add", "change", "delete")
        ),
        "django_celery_results.view_taskresult",
    ),
}


def ensure_roles(group_model: Any, permission_model: Any) -> dict[str, list[str]]:
    """Create the groups and grant their permissions; return those not (yet) defined.

    Permissions of an app that is not installed or not migrated yet are skipped and
    reported, so running this again later (``manage.py setup_roles``) completes the set.
    """
    missing: dict[str, list[str]] = {}
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".", 1)
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                missing.setdefault(role, []).append(name)
            else:
                wanted.append(permission)
        group.permissions.add(*wanted)
    return missing
