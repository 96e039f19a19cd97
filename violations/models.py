"""Violation records, their evidence files and the append-only review trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from enforcement.events import VEHICLE_CLASSES, VIOLATION_KINDS
from enforcement.models import Camera

KIND_LABELS = {
    "speeding": "Over-speeding",
    "red_light": "Red-light (signal) violation",
    "bus_lane": "Bus-lane violation",
    "no_entry": "No-entry violation",
    "solid_line": "Solid-line crossing",
    "wrong_way": "Wrong-way / one-way",
}


class FrozenRecordError(Exception):
    """An attempt to change evidence, measured values or the review trail."""


# What the engine measured and read: written when the event is recorded, never changed.
FROZEN_VIOLATION_FIELDS = frozenset(
    {
        "camera",
        "kind",
        "occurred_at",
        "frame_index",
        "track_id",
        "vehicle_class",
        "measured",
        "speed_kmh",
        "limit_kmh",
        "time_into_red_s",
        "lane_id",
        "line_id",
        "plate_read",
        "plate_format",
        "plate_province",
        "plate_year",
        "plate_confidence",
        "plate_unreadable",
        "plate_candidates",
        "calibration_version",
        "calibration_error_m",
    }
)


class Violation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        AWAITING_SECOND = "awaiting_second", "Awaiting second review"
        ESCALATED = "escalated", "Escalated to supervisor"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        NEEDS_OWNER = "needs_owner", "Needs owner (plate not in registry)"
        CHALLAN_ISSUED = "challan_issued", "Challan issued"

    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="violations")
    kind = models.CharField(max_length=16, choices=[(k, KIND_LABELS[k]) for k in VIOLATION_KINDS])
    occurred_at = models.DateTimeField(db_index=True)
    frame_index = models.PositiveIntegerField()
    track_id = models.PositiveIntegerField()
    vehicle_class = models.CharField(max_length=16, choices=[(c, c) for c in VEHICLE_CLASSES])

    # The measurement, as the engine produced it; never edited.
    measured = models.JSONField(default=dict)
    speed_kmh = models.FloatField(null=True, blank=True)
    limit_kmh = models.FloatField(null=True, blank=True)
    time_into_red_s = models.FloatField(null=True, blank=True)
    lane_id = models.CharField(max_length=16, blank=True)
    line_id = models.CharField(max_length=16, blank=True)

    # The plate as ANPR read it; never edited.
    plate_read = models.CharField(max_length=32, blank=True)
    plate_format = models.CharField(max_length=24, blank=True)
    plate_province = models.CharField(max_length=24, blank=True)
    plate_year = models.CharField(max_length=4, blank=True)
    plate_confidence = models.FloatField(null=True, blank=True, db_index=True)
    plate_unreadable = models.BooleanField(default=False)
    plate_candidates = models.JSONField(default=list, blank=True)

    # The plate as finally decided by review (starts as the reading).
    plate = models.CharField(max_length=32, blank=True, db_index=True)

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    calibration_version = models.CharField(max_length=16, blank=True)
    calibration_error_m = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who gave the latest review decision: the queue's reviewer filter, and the person a
    # second reviewer must differ from.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["camera", "track_id", "kind", "occurred_at"], name="one_violation_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "-occurred_at"], name="violation_queue_idx"),
            # The workbench's default: oldest first within a status, ties broken by id.
            models.Index(fields=["status", "occurred_at", "id"], name="violation_fifo_idx"),
            # Counts a city's queue from the index alone (visibility filters by camera).
            models.Index(fields=["status", "camera"], name="violation_status_camera_idx"),
            # Searching the queue by the plate as read, not only as decided.
            models.Index(fields=["plate_read"], name="violation_plate_read_idx"),
        ]
        permissions = [
            ("review_violation", "Can approve, reject or escalate violations"),
            ("second_review_violation", "Can give the second (supervisor) review"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.plate or 'plate?'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Create freely; update only named, non-measured fields (through the services)."""
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None:
                raise FrozenRecordError(
                    f"violation {self.pk}: save() of an existing violation must name "
                    "update_fields; change it through violations.services"
                )
            frozen = FROZEN_VIOLATION_FIELDS.intersection(update_fields)
            if frozen:
                raise FrozenRecordError(
                    f"violation {self.pk}: {', '.join(sorted(frozen))} record what the camera "
                    "measured and are never edited"
                )
        super().save(*args, **kwargs)


class ViolationStatistics(Violation):
    """The statistics page in admin (a proxy so that it is listed on the admin index)."""

    class Meta:
        proxy = True
        verbose_name = "statistics"
        verbose_name_plural = "statistics"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}.{suffix}"


class Evidence(models.Model):
    """A file proving a violation: written once, content-addressed, hashed."""

    class Kind(models.TextChoices):
        FRAME = "frame", "Frame with data bar"
        PLATE_FRAME = "plate_frame", "Plate frame"
        PLATE_CROP = "plate_crop", "Plate crop"
        CLIP = "clip", "Video clip"

    violation = models.ForeignKey(Violation, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    role = models.CharField(max_length=24, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveBigIntegerField()
    frame_index = models.PositiveIntegerField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["violation", "frame_index", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.kind}/{self.role} of violation {self.violation_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise FrozenRecordError(f"evidence {self.pk} is written once and never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise FrozenRecordError(f"evidence {self.pk} is never deleted")


class ReviewDecision(models.Model):
    """One decision on a violation; rows are only ever added."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        CORRECT_AND_APPROVE = "correct_approve", "Correct plate and approve"
        ESCALATE = "escalate", "Escalate to supervisor"
        SECOND_APPROVE = "second_approve", "Second review: approve"
        SECOND_REJECT = "second_reject", "Second review: reject"
        # Recorded by the system (no reviewer) when the challans app reports back.
        NEEDS_OWNER = "needs_owner", "No registered owner found"
        CHALLAN_ISSUED = "challan_issued", "Challan issued"

    class Reason(models.TextChoices):
        NONE = "", "—"
        PLATE_UNREADABLE = "plate_unreadable", "Plate unreadable"
        PLATE_MISMATCH = "plate_mismatch", "Plate / vehicle mismatch"
        EXEMPT_VEHICLE = "exempt_vehicle", "Emergency or exempt vehicle"
        OBSTRUCTED = "obstructed", "Obstructed view"
        MEASUREMENT_DOUBT = "measurement_doubt", "Measurement doubt"
        DUPLICATE = "duplicate", "Duplicate"
        OTHER = "other", "Other"

    violation = models.ForeignKey(Violation, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_decisions",
        help_text="Empty for a status the system recorded",
    )
    decided_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    stage = models.PositiveSmallIntegerField(default=1)
    reason_code = models.CharField(max_length=24, choices=Reason.choices, blank=True)
    note = models.TextField(blank=True)
    plate_before = models.CharField(max_length=32, blank=True)
    plate_after = models.CharField(max_length=32, blank=True)
    status_after = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="e.g. why a second review")

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        who = self.reviewer or "system"
        return f"{self.get_decision_display()} by {who} at {self.decided_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise FrozenRecordError(f"review decision {self.pk} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise FrozenRecordError(f"review decision {self.pk} is append-only")
