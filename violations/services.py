"""The rules of violations: recording what the engine saw, and every review decision.

Views, admin, commands and tasks only call these functions. Each state change has one
shape: a transaction, a row lock, ``save(update_fields=...)``, an append-only
`ReviewDecision`, and side effects after commit (the `violation_approved` receivers).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractUser as StaffUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from enforcement.events import EvidenceFile, ViolationEvent
from enforcement.models import Camera
from violations.access import access_violation_by_id
from violations.errors import (
    InvalidDecision,
    InvalidEvent,
    InvalidTransition,
    ReviewNotAllowed,
    UnknownCamera,
    ViolationNotFound,
    ViolationServiceError,
)
from violations.evidence_store import store_evidence_file
from violations.models import Evidence, ReviewDecision, Violation
from violations.rules import second_review_reasons
from violations.signals import violation_approved

logger = logging.getLogger(__name__)

Status = Violation.Status
Decision = ReviewDecision.Decision
Reason = ReviewDecision.Reason

REVIEW_PERMISSION = "violations.review_violation"
SECOND_REVIEW_PERMISSION = "violations.second_review_violation"
REJECT_REASONS = frozenset(code for code in Reason.values if code)
_PLATE_RE = re.compile(r"^[A-Z0-9]{1,8}(-[A-Z0-9]{1,8})?$")


__all__ = [
    "InvalidDecision",
    "InvalidEvent",
    "InvalidTransition",
    "ReviewNotAllowed",
    "UnknownCamera",
    "ViolationNotFound",
    "ViolationServiceError",
    "approve_violation",
    "bulk_approve",
    "bulk_reject",
    "correct_plate_and_approve",
    "escalate_violation",
    "mark_challan_issued",
    "mark_needs_owner",
    "normalise_plate",
    "record_violation_event",
    "reject_violation",
    "second_review",
]


# --- recording ---------------------------------------------------------------------------


def _measured_float(measured: dict[str, Any], key: str) -> float | None:
    value = measured.get(key)
    return float(value) if value is not None else None


def _violation_fields(event: ViolationEvent, camera: Camera) -> dict[str, Any]:
    plate = event.plate
    measured = dict(event.measured)
    return {
        "frame_index": event.frame_index,
        "vehicle_class": event.vehicle_class,
        "measured": measured,
        "speed_kmh": _measured_float(measured, "speed_kmh"),
        "limit_kmh": _measured_float(measured, "limit_kmh"),
        "time_into_red_s": _measured_float(measured, "time_into_red_s"),
        "lane_id": str(measured.get("lane_id") or ""),
        "line_id": str(measured.get("line_id") or ""),
        "plate_read": plate.text if plate else "",
        "plate_format": plate.format if plate else "",
        "plate_province": plate.province if plate else "",
        "plate_year": plate.year if plate else "",
        "plate_confidence": plate.confidence if plate else None,
        "plate_unreadable": plate.unreadable if plate else True,
        "plate_candidates": [[text, conf] for text, conf in plate.candidates] if plate else [],
        "plate": plate.text if plate and not plate.unreadable else "",
        "calibration_version": event.calibration_version or camera.config_version,
        "calibration_error_m": (
            event.calibration_error_m
            if event.calibration_error_m is not None
            else camera.reprojection_error_m
        ),
    }


def _evidence_files(event: ViolationEvent) -> list[EvidenceFile]:
    """The event's files, plus the plate crop when it is only named by the reading."""
    files = list(event.evidence)
    crop = event.plate.crop_path if event.plate else None
    if crop is not None and all(f.path != crop for f in files):
        plate_frame = next((f for f in files if f.kind == Evidence.Kind.PLATE_FRAME), None)
        anchor = plate_frame or next(iter(files), None)
        files.append(
            EvidenceFile(
                kind=Evidence.Kind.PLATE_CROP,
                role="plate",
                path=crop,
                frame_index=anchor.frame_index if anchor else event.frame_index,
                captured_at=anchor.captured_at if anchor else event.occurred_at,
            )
        )
    for f in files:
        if f.kind not in Evidence.Kind.values:
            raise InvalidEvent(
                f"evidence {f.path}: unknown kind {f.kind!r}; expected one of "
                f"{', '.join(Evidence.Kind.values)}"
            )
    return files


@transaction.atomic
def record_violation_event(event: ViolationEvent) -> tuple[Violation, bool]:
    """Persist an engine event with its evidence; the same event twice gives one violation.

    Returns ``(violation, created)``. Raises `UnknownCamera` for a camera code that is
    not configured and `violations.evidence_store.EvidenceStoreError` for evidence
    that is missing or clashes with a stored file.
    """
    try:
        camera = Camera.objects.get(code=event.camera_code)
    except Camera.DoesNotExist:
        raise UnknownCamera(
            f"no camera with code {event.camera_code!r}: add it in admin or run "
            "`manage.py import_camera` before processing its video"
        )
    key = {
        "camera": camera,
        "track_id": event.track_id,
        "kind": event.kind,
        "occurred_at": event.occurred_at,
    }
    existing = Violation.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    files = _evidence_files(event)
    try:
        # A savepoint, so that losing a race to a concurrent worker leaves this
        # transaction usable for fetching the winner's row.
        with transaction.atomic():
            violation = Violation.objects.create(**key, **_violation_fields(event, camera))
    except IntegrityError:
        return Violation.objects.get(**key), False
    for f in files:
        stored = store_evidence_file(f.path)
        evidence = Evidence(
            violation=violation,
            kind=f.kind,
            role=f.role,
            sha256=stored.sha256,
            size_bytes=stored.size_bytes,
            frame_index=f.frame_index,
            captured_at=f.captured_at,
        )
        evidence.file.name = stored.name
        evidence.save()
    logger.info("recorded violation %s from %s track %s", violation.pk, camera.code, event.track_id)
    return violation, True


# --- review ------------------------------------------------------------------------------


def normalise_plate(text: str) -> str:
    """Canonical ``LETTERS-DIGITS`` form of a typed plate; raises `InvalidDecision`."""
    plate = re.sub(r"[\s_]+", "-", text.strip().upper())
    plate = re.sub(r"-+", "-", plate).strip("-")
    if not _PLATE_RE.match(plate):
        raise InvalidDecision(
            f"{text!r} is not a plate: type letters, a hyphen and digits, e.g. LEA-1234"
        )
    return plate


def _require_permission(user: StaffUser, permission: str, what: str) -> None:
    if not user.has_perm(permission):
        raise ReviewNotAllowed(f"{user} may not {what}: it needs the {permission} permission")


def _lock_for(user: StaffUser, violation_id: int, *, allowed: set[str], action: str) -> Violation:
    violation = access_violation_by_id(user, violation_id, lock=True)
    if violation.status == Status.ESCALATED and Status.ESCALATED not in allowed:
        raise ReviewNotAllowed(
            f"violation {violation.pk} is escalated to a supervisor; it can only be decided "
            "by second review, by someone other than who escalated it"
        )
    if violation.status not in allowed:
        raise InvalidTransition(
            f"cannot {action} violation {violation.pk}: it is "
            f"{violation.get_status_display().lower()}"
        )
    return violation


def _decide(
    violation: Violation,
    *,
    reviewer: StaffUser | None,
    decision: str,
    status: str,
    stage: int,
    reason_code: str = "",
    note: str = "",
    plate_after: str | None = None,
    data: dict[str, Any] | None = None,
) -> ReviewDecision:
    """Apply a decision to a locked violation and append its audit row."""
    plate_before = violation.plate
    violation.status = status
    update_fields = ["status", "updated_at"]
    if plate_after is not None:
        violation.plate = plate_after
        update_fields.append("plate")
    if reviewer is not None:
        violation.reviewed_by = reviewer
        violation.reviewed_at = timezone.now()
        update_fields += ["reviewed_by", "reviewed_at"]
    violation.save(update_fields=update_fields)
    record = ReviewDecision.objects.create(
        violation=violation,
        reviewer=reviewer,
        decision=decision,
        stage=stage,
        reason_code=reason_code,
        note=note,
        plate_before=plate_before if plate_after is not None else "",
        plate_after=plate_after or "",
        status_after=status,
        data=data or {},
    )
    if status == Status.APPROVED:
        # Receivers queue their work with on_commit, so nothing leaves a rolled-back approval.
        violation_approved.send(sender=Violation, violation_id=violation.pk)
    return record


def _first_stage_approval(
    violation: Violation,
    *,
    reviewer: StaffUser,
    decision: str,
    note: str,
    plate_after: str | None = None,
) -> Violation:
    reasons = second_review_reasons(violation, plate_corrected=plate_after is not None)
    _decide(
        violation,
        reviewer=reviewer,
        decision=decision,
        status=Status.AWAITING_SECOND if reasons else Status.APPROVED,
        stage=1,
        note=note,
        plate_after=plate_after,
        data={"second_review_reasons": reasons} if reasons else None,
    )
    return violation


def _check_reason(reason_code: str, note: str) -> None:
    if reason_code not in REJECT_REASONS:
        raise InvalidDecision(
            f"reason {reason_code!r} is not a rejection reason; use one of "
            f"{', '.join(sorted(REJECT_REASONS))}"
        )
    if reason_code == Reason.OTHER and not note.strip():
        raise InvalidDecision("a rejection for reason 'other' needs a note saying why")


@transaction.atomic
def approve_violation(violation_id: int, *, reviewer: StaffUser, note: str = "") -> Violation:
    """Approve as read; goes to second review when a rule in settings requires one."""
    _require_permission(reviewer, REVIEW_PERMISSION, "approve violations")
    violation = _lock_for(reviewer, violation_id, allowed={Status.PENDING}, action="approve")
    if violation.plate_unreadable or not violation.plate:
        raise InvalidDecision(
            f"violation {violation.pk} has no readable plate: correct the plate and approve, "
            "or reject it as plate unreadable"
        )
    return _first_stage_approval(violation, reviewer=reviewer, decision=Decision.APPROVE, note=note)


@transaction.atomic
def reject_violation(
    violation_id: int, *, reviewer: StaffUser, reason_code: str, note: str = ""
) -> Violation:
    _require_permission(reviewer, REVIEW_PERMISSION, "reject violations")
    _check_reason(reason_code, note)
    violation = _lock_for(
        reviewer, violation_id, allowed={Status.PENDING, Status.NEEDS_OWNER}, action="reject"
    )
    _decide(
        violation,
        reviewer=reviewer,
        decision=Decision.REJECT,
        status=Status.REJECTED,
        stage=1,
        reason_code=reason_code,
        note=note,
    )
    return violation


@transaction.atomic
def correct_plate_and_approve(
    violation_id: int, *, reviewer: StaffUser, plate: str, note: str = ""
) -> Violation:
    """Replace the plate ANPR read (kept in ``plate_read``) and approve."""
    _require_permission(reviewer, REVIEW_PERMISSION, "correct plates")
    corrected = normalise_plate(plate)
    violation = _lock_for(
        reviewer,
        violation_id,
        allowed={Status.PENDING, Status.NEEDS_OWNER},
        action="correct the plate of",
    )
    if corrected == violation.plate:
        raise InvalidDecision(f"the plate is already {corrected}: approve it instead")
    return _first_stage_approval(
        violation,
        reviewer=reviewer,
        decision=Decision.CORRECT_AND_APPROVE,
        note=note,
        plate_after=corrected,
    )


@transaction.atomic
def escalate_violation(violation_id: int, *, reviewer: StaffUser, note: str) -> Violation:
    _require_permission(reviewer, REVIEW_PERMISSION, "escalate violations")
    if not note.strip():
        raise InvalidDecision("say in a note what the supervisor should look at")
    violation = _lock_for(
        reviewer, violation_id, allowed={Status.PENDING, Status.NEEDS_OWNER}, action="escalate"
    )
    _decide(
        violation,
        reviewer=reviewer,
        decision=Decision.ESCALATE,
        status=Status.ESCALATED,
        stage=1,
        note=note,
    )
    return violation


@transaction.atomic
def second_review(
    violation_id: int,
    *,
    reviewer: StaffUser,
    approve: bool,
    reason_code: str = "",
    note: str = "",
) -> Violation:
    """The supervisor's decision on an escalated or awaiting-second violation."""
    _require_permission(reviewer, SECOND_REVIEW_PERMISSION, "give second reviews")
    if not approve:
        _check_reason(reason_code, note)
    violation = _lock_for(
        reviewer,
        violation_id,
        allowed={Status.AWAITING_SECOND, Status.ESCALATED},
        action="second-review",
    )
    if violation.reviewed_by_id == reviewer.pk:
        first = "escalated" if violation.status == Status.ESCALATED else "gave the first review of"
        raise ReviewNotAllowed(
            f"you {first} violation {violation.pk}: a different supervisor must decide it"
        )
    if approve and (violation.plate_unreadable and not violation.plate):
        raise InvalidDecision(f"violation {violation.pk} has no plate to approve; reject it")
    _decide(
        violation,
        reviewer=reviewer,
        decision=Decision.SECOND_APPROVE if approve else Decision.SECOND_REJECT,
        status=Status.APPROVED if approve else Status.REJECTED,
        stage=2,
        reason_code="" if approve else reason_code,
        note=note,
    )
    return violation


# --- reported by the challans app ----------------------------------------------------------


def _system_transition(
    violation_id: int, *, from_statuses: set[str], to: str, decision: str, note: str
) -> bool:
    try:
        violation = Violation.objects.select_for_update().get(pk=violation_id)
    except Violation.DoesNotExist:
        raise ViolationNotFound(f"violation {violation_id} does not exist")
    if violation.status == to:
        return False
    if violation.status not in from_statuses:
        raise InvalidTransition(
            f"violation {violation_id} is {violation.get_status_display().lower()}, "
            f"not {' or '.join(sorted(from_statuses))}"
        )
    _decide(violation, reviewer=None, decision=decision, status=to, stage=0, note=note)
    return True


@transaction.atomic
def mark_needs_owner(violation_id: int, *, reason: str) -> bool:
    """An approved violation whose plate has no registered owner goes back for review.

    Returns False when it was already marked (a retried task).
    """
    return _system_transition(
        violation_id,
        from_statuses={Status.APPROVED},
        to=Status.NEEDS_OWNER,
        decision=Decision.NEEDS_OWNER,
        note=reason,
    )


@transaction.atomic
def mark_challan_issued(violation_id: int) -> bool:
    """Record that a challan was issued; False when it was already recorded."""
    return _system_transition(
        violation_id,
        from_statuses={Status.APPROVED},
        to=Status.CHALLAN_ISSUED,
        decision=Decision.CHALLAN_ISSUED,
        note="",
    )


# --- bulk --------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)
    awaiting_second: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def bulk_approve(
    violation_ids: Iterable[int], *, reviewer: StaffUser, note: str = ""
) -> BulkOutcome:
    """Approve each in its own transaction: one refusal does not undo the others."""
    outcome = BulkOutcome()
    for violation_id in violation_ids:
        try:
            violation = approve_violation(violation_id, reviewer=reviewer, note=note)
        except ViolationServiceError as exc:
            outcome.refused[violation_id] = str(exc)
        else:
            target = (
                outcome.awaiting_second
                if violation.status == Status.AWAITING_SECOND
                else outcome.done
            )
            target.append(violation_id)
    return outcome


def bulk_reject(
    violation_ids: Iterable[int], *, reviewer: StaffUser, reason_code: str, note: str = ""
) -> BulkOutcome:
    outcome = BulkOutcome()
    for violation_id in violation_ids:
        try:
            reject_violation(violation_id, reviewer=reviewer, reason_code=reason_code, note=note)
        except ViolationServiceError as exc:
            outcome.refused[violation_id] = str(exc)
        else:
            outcome.done.append(violation_id)
    return outcome
