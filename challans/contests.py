"""A citizen contests a challan; a supervisor upholds or cancels it.

Both actions lock the challan row, change it with `update_fields`, and leave a
`ChallanEvent` in the audit trail; a decision also notifies the owner (after commit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challans import notices, services
from challans.models import Challan, ChallanEvent, ContestRequest, Notice

CONTESTABLE_STATUSES = {Challan.Status.ISSUED, Challan.Status.OVERDUE}
PHOTO_EXTENSIONS = {"JPEG": "jpg", "PNG": "png"}


class ContestError(Exception):
    """A contest that cannot be submitted or decided; the message says why."""


def contest_deadline(challan: Challan) -> dt.datetime:
    """The last moment a contest is accepted: issue time + CONTEST_WINDOW_DAYS."""
    return challan.issued_at + dt.timedelta(days=settings.NIGRAN["CONTEST_WINDOW_DAYS"])


def contest_refusal(challan: Challan, now: dt.datetime) -> str | None:
    """Why this challan cannot be contested now, or None if it can."""
    if challan.status == Challan.Status.CONTESTED:
        return _("This challan is already being reviewed.")
    if challan.status not in CONTESTABLE_STATUSES:
        return _("A paid or cancelled challan cannot be contested.")
    if now > contest_deadline(challan):
        return _("The window for contesting this challan has closed.")
    return None


@transaction.atomic
def submit_contest(
    challan_id: int,
    *,
    reason: str,
    photo: UploadedFile | None = None,
    photo_format: str | None = None,
    now: dt.datetime | None = None,
) -> ContestRequest:
    """Record a contest and set the challan to contested.

    Args:
        photo_format: "JPEG" or "PNG" as Pillow decoded it (the form checks the file).

    Raises:
        ContestError: if the challan is not contestable now.
    """
    now = now or timezone.now()
    challan = Challan.objects.select_for_update().get(pk=challan_id)
    refusal = contest_refusal(challan, now)
    if refusal is not None:
        raise ContestError(refusal)
    contest = ContestRequest(challan=challan, reason=reason.strip())
    if photo is not None:
        if photo_format not in PHOTO_EXTENSIONS:
            raise ContestError(_("The photo must be a JPEG or PNG image."))
        digest = hashlib.sha256()
        for chunk in photo.chunks():
            digest.update(chunk)
        photo.seek(0)
        contest.photo_sha256 = digest.hexdigest()
        # Stored under its hash: the citizen's file name never reaches the disk.
        name = f"{contest.photo_sha256}.{PHOTO_EXTENSIONS[photo_format]}"
        contest.photo.save(name, photo, save=False)
    contest.save()
    challan.status = Challan.Status.CONTESTED
    challan.save(update_fields=["status", "updated_at"])
    ChallanEvent.objects.create(
        challan=challan,
        action="contested",
        note="Contested by the owner through the portal",
        data={"contest_id": contest.pk, "with_photo": bool(contest.photo_sha256)},
    )
    return contest


@transaction.atomic
def decide_contest(
    contest_id: int, *, cancel: bool, supervisor: Any, note: str, now: dt.datetime | None = None
) -> ContestRequest:
    """Uphold (challan owed again) or cancel (challan void) a pending contest.

    Raises:
        ContestError: if the contest was already decided or the note is empty.
    """
    if not note.strip():
        raise ContestError("Write the reason for the decision; the citizen will see it.")
    now = now or timezone.now()
    contest = ContestRequest.objects.select_for_update().get(pk=contest_id)
    challan = Challan.objects.select_for_update().get(pk=contest.challan_id)
    if contest.status != ContestRequest.Status.PENDING:
        raise ContestError(f"This contest was already decided ({contest.get_status_display()}).")
    contest.status = ContestRequest.Status.CANCELLED if cancel else ContestRequest.Status.UPHELD
    contest.decided_by = supervisor
    contest.decided_at = now
    contest.decision_note = note.strip()
    contest.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if cancel:
        services.cancel_challan(challan.pk, actor=supervisor, reason=contest.decision_note)
    elif challan.status == Challan.Status.CONTESTED:
        overdue = timezone.localdate(now) > challan.due_date
        challan.status = Challan.Status.OVERDUE if overdue else Challan.Status.ISSUED
        challan.save(update_fields=["status", "updated_at"])
    ChallanEvent.objects.create(
        challan=challan,
        action="contest_cancelled" if cancel else "contest_upheld",
        actor=supervisor,
        note=contest.decision_note,
        data={"contest_id": contest.pk},
    )
    notices.queue_notices(challan.pk, Notice.Purpose.CONTEST_DECIDED)
    return contest
