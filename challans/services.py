"""Every state change of a challan: issue, cancel, re-issue, reminders, overdue, catch-up.

Each action is one transaction that locks the row it changes, writes an audit row
(ChallanEvent) and queues its side effects (notices) on commit, so Celery can deliver the
same task twice, retry it or run it on two workers at once and still change things once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from challans.documents import store_new_version
from challans.fines import FineNotScheduled, amount_due, fine_class_for, fine_for, late_total_pkr
from challans.models import Challan, ChallanEvent, Notice
from challans.notices import queue_notices
from challans.numbering import new_psid, next_challan_number
from challans.registry import find_registration, normalise_plate
from violations.models import Violation
from violations.services import mark_challan_issued, mark_needs_owner

# Re-exported: callers reach every challan rule through this module.
__all__ = [
    "ChallanActionError",
    "FineNotScheduled",
    "amount_due",
    "cancel_challan",
    "fine_class_for",
    "fine_for",
    "issue_challan",
    "issue_missing_challans",
    "mark_overdue",
    "new_psid",
    "next_challan_number",
    "reissue_challan",
    "send_reminders",
]

logger = logging.getLogger(__name__)
Progress = Callable[[list[int]], Iterable[int]]

OPEN_STATUSES = (Challan.Status.ISSUED, Challan.Status.OVERDUE, Challan.Status.CONTESTED)


class ChallanActionError(ValueError):
    """A supervisor action that cannot apply to this challan (the message says why)."""


def _no_progress(items: list[int]) -> Iterator[int]:
    yield from items


# --- issuing -------------------------------------------------------------------------------


def issue_challan(violation_id: int) -> Challan | None:
    """Issue the challan of an approved violation, once; returns it, or None if not issuable.

    Two short transactions: the first creates the challan under the violation's row lock
    (holding the city's number sequence only briefly), the second renders and stores the
    PDF under the challan's row lock. A worker that dies between them leaves a challan
    without PDF, which the redelivered task (or ``issue_missing_challans``) completes.
    """
    challan = _create_challan(violation_id)
    if challan is None or challan.pdf_version > 0:
        return challan
    challan, _ = _attach_first_pdf(challan.pk)
    return challan


@transaction.atomic
def _create_challan(violation_id: int) -> Challan | None:
    violation = (
        Violation.objects.select_for_update(of=("self",))
        .select_related("camera__city")
        .filter(pk=violation_id)
        .first()
    )
    if violation is None:
        logger.warning("violation %s is gone; no challan issued", violation_id)
        return None
    existing = Challan.objects.filter(violation_id=violation_id).first()
    if existing is not None:
        return existing
    if violation.status != Violation.Status.APPROVED:
        logger.info("violation %s is %s, not approved; no challan", violation_id, violation.status)
        return None
    registration = None if violation.plate_unreadable else find_registration(violation.plate)
    if registration is None:
        reason = (
            "plate unreadable"
            if violation.plate_unreadable or not violation.plate
            else (f"plate {violation.plate} not in the registry")
        )
        mark_needs_owner(violation_id, reason=reason)
        return None
    fine_class = fine_class_for(registration)
    fine = fine_for(violation.kind, fine_class, timezone.localtime(violation.occurred_at).date())
    issued_at = timezone.now()
    issued_on = timezone.localtime(issued_at).date()
    city_code = violation.camera.city.code
    challan = Challan.objects.create(
        number=next_challan_number(city_code, issued_on.year),
        violation=violation,
        registration=registration,
        city_code=city_code,
        plate=registration.plate,
        owner_cnic=registration.cnic,
        fine_class=fine_class,
        amount_pkr=fine.amount_pkr,
        issued_at=issued_at,
        due_date=issued_on + timedelta(days=int(settings.NIGRAN["CHALLAN_DUE_DAYS"])),
        psid=new_psid(),
    )
    ChallanEvent.objects.create(
        challan=challan,
        action="issued",
        data={
            "fine_schedule_id": fine.pk,
            "fine_effective_from": fine.effective_from.isoformat(),
            "fine_provisional": fine.provisional,
            "amount_pkr": fine.amount_pkr,
            "fine_class": fine_class,
        },
    )
    mark_challan_issued(violation_id)
    return challan


@transaction.atomic
def _attach_first_pdf(challan_id: int) -> tuple[Challan, bool]:
    """Store PDF v1 unless another delivery already did; True when this call stored it."""
    challan = (
        Challan.objects.select_for_update(of=("self",))
        .select_related("violation__camera__city", "registration")
        .get(pk=challan_id)
    )
    if challan.pdf_version > 0:
        return challan, False
    store_new_version(challan, reason="issued")
    queue_notices(challan.pk, Notice.Purpose.ISSUED)
    return challan, True


# --- supervisor actions --------------------------------------------------------------------


def _check_supervisor(actor: Any, reason: str) -> str:
    if not actor.has_perm("challans.cancel_challan"):
        raise PermissionDenied("only supervisors (challans.cancel_challan) may do this")
    reason = reason.strip()
    if not reason:
        raise ChallanActionError("give a reason; it is recorded on the challan")
    return reason


@transaction.atomic
def cancel_challan(challan_id: int, *, actor: Any, reason: str) -> Challan:
    """Cancel an unpaid challan; the reason and the supervisor are recorded."""
    reason = _check_supervisor(actor, reason)
    challan = Challan.objects.select_for_update().get(pk=challan_id)
    if challan.status not in OPEN_STATUSES:
        raise ChallanActionError(
            f"a {challan.get_status_display().lower()} challan cannot be cancelled"
        )
    before = challan.status
    challan.status = Challan.Status.CANCELLED
    challan.save(update_fields=["status", "updated_at"])
    ChallanEvent.objects.create(
        challan=challan,
        action="cancelled",
        actor=actor,
        note=reason,
        data={"status_before": before},
    )
    return challan


@transaction.atomic
def reissue_challan(challan_id: int, *, actor: Any, reason: str) -> Challan:
    """Re-issue after a correction: re-read owner and fine, store a new PDF version.

    Earlier versions stay on record (ChallanDocument); the challan points at the newest.
    """
    reason = _check_supervisor(actor, reason)
    challan = (
        Challan.objects.select_for_update(of=("self",))
        .select_related("violation__camera__city", "registration")
        .get(pk=challan_id)
    )
    if challan.status not in OPEN_STATUSES:
        raise ChallanActionError(
            f"a {challan.get_status_display().lower()} challan cannot be re-issued"
        )
    violation = challan.violation
    registration = find_registration(violation.plate)
    if registration is None:
        raise ChallanActionError(
            f"plate {normalise_plate(violation.plate)!r} is not in the registry: correct the "
            "violation's plate or add the registration first"
        )
    fine_class = fine_class_for(registration)
    fine = fine_for(violation.kind, fine_class, timezone.localtime(violation.occurred_at).date())
    changes = {
        field: [str(getattr(challan, field)), str(value)]
        for field, value in (
            ("plate", registration.plate),
            ("owner_cnic", registration.cnic),
            ("fine_class", fine_class),
            ("amount_pkr", fine.amount_pkr),
        )
        if getattr(challan, field) != value
    }
    if challan.registration_id != registration.pk:
        changes["registration_id"] = [str(challan.registration_id), str(registration.pk)]
    challan.registration = registration
    challan.plate = registration.plate
    challan.owner_cnic = registration.cnic
    challan.fine_class = fine_class
    challan.amount_pkr = fine.amount_pkr
    challan.save(
        update_fields=[
            "registration",
            "plate",
            "owner_cnic",
            "fine_class",
            "amount_pkr",
            "updated_at",
        ]
    )
    document = store_new_version(
        challan, reason=f"re-issued: {reason}", version_note=f"Re-issued: {reason}"
    )
    ChallanEvent.objects.create(
        challan=challan,
        action="reissued",
        actor=actor,
        note=reason,
        data={"version": document.version, "sha256": document.sha256, "changes": changes},
    )
    return challan


# --- batch jobs ----------------------------------------------------------------------------


def issue_missing_challans(*, progress: Progress = _no_progress) -> dict[str, int]:
    """Catch-up: approved violations without a challan, and challans still without a PDF."""
    counts = {"issued": 0, "needs_owner": 0, "pdf_completed": 0, "failed": 0}
    violation_ids = list(
        Violation.objects.filter(status=Violation.Status.APPROVED, challan__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    pdfless_ids = list(
        Challan.objects.filter(pdf_version=0).order_by("pk").values_list("pk", flat=True)
    )
    for violation_id in progress(violation_ids):
        try:
            challan = issue_challan(violation_id)
        except FineNotScheduled as exc:
            counts["failed"] += 1
            logger.error("violation %s: %s", violation_id, exc)
            continue
        counts["issued" if challan is not None else "needs_owner"] += 1
    for challan_id in progress(pdfless_ids):
        _, stored = _attach_first_pdf(challan_id)
        counts["pdf_completed"] += int(stored)
    return counts


def send_reminders(today: date, *, progress: Progress = _no_progress) -> int:
    """Queue a reminder for unpaid challans due within the next few days (once each)."""
    horizon = today + timedelta(days=int(settings.NIGRAN["REMINDER_DAYS_BEFORE_DUE"]))

    def remind(challan: Challan) -> None:
        challan.reminder_sent_at = timezone.now()
        challan.save(update_fields=["reminder_sent_at", "updated_at"])
        ChallanEvent.objects.create(
            challan=challan, action="reminder", data={"due_date": challan.due_date.isoformat()}
        )
        queue_notices(challan.pk, Notice.Purpose.REMINDER)

    return _update_each(
        Q(status=Challan.Status.ISSUED, reminder_sent_at__isnull=True)
        & Q(due_date__gte=today, due_date__lte=horizon),
        remind,
        progress,
    )


def mark_overdue(today: date, *, progress: Progress = _no_progress) -> int:
    """Unpaid challans past their due date become overdue with the late fee applied."""

    def make_overdue(challan: Challan) -> None:
        challan.status = Challan.Status.OVERDUE
        challan.late_fee_pkr = late_total_pkr(challan.amount_pkr) - challan.amount_pkr
        challan.save(update_fields=["status", "late_fee_pkr", "updated_at"])
        ChallanEvent.objects.create(
            challan=challan,
            action="overdue",
            data={"late_fee_pkr": challan.late_fee_pkr, "as_of": today.isoformat()},
        )
        queue_notices(challan.pk, Notice.Purpose.OVERDUE)

    return _update_each(Q(status=Challan.Status.ISSUED, due_date__lt=today), make_overdue, progress)


def _update_each(
    still_due: Q, update: Callable[[Challan], None], progress: Progress = _no_progress
) -> int:
    """Apply ``update`` to each challan matching ``still_due``, one short transaction each.

    The condition is checked again under a row lock, so a run racing another (or a
    payment arriving meanwhile) never updates a challan twice or one no longer due.
    """
    candidates = list(Challan.objects.filter(still_due).order_by("pk").values_list("pk", flat=True))
    updated = 0
    for challan_id in progress(candidates):
        with transaction.atomic():
            challan = Challan.objects.select_for_update().filter(still_due, pk=challan_id).first()
            if challan is None:
                continue
            update(challan)
            updated += 1
    return updated
