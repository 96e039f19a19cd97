"""Notices to owners by email (PDF attached) and SMS, each recorded once with its outcome."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from challans.documents import verify_url
from challans.fines import amount_due
from challans.models import Challan, Notice
from challans.sms import SmsError, send_sms

logger = logging.getLogger(__name__)

_SUBJECTS = {
    Notice.Purpose.ISSUED: "E-challan {number}: {violation}, {amount} due by {due}",
    Notice.Purpose.REMINDER: "Reminder: e-challan {number} ({amount}) is due on {due}",
    Notice.Purpose.OVERDUE: "Overdue: e-challan {number} now {amount} with the late fee",
    Notice.Purpose.CONTEST_DECIDED: "E-challan {number}: your complaint has been decided",
}


def queue_notices(challan_id: int, purpose: str) -> None:
    """Send the notices once the current transaction commits (never for a rolled-back one)."""
    from challans.tasks import send_challan_notices

    transaction.on_commit(lambda: send_challan_notices.delay(challan_id, str(purpose)))


def _facts(challan: Challan) -> dict[str, str]:
    _, _, total = amount_due(challan, timezone.localdate())
    return {
        "number": challan.number,
        "violation": challan.violation.get_kind_display(),
        "amount": f"Rs {total:,}",
        "due": challan.due_date.strftime("%d %b %Y"),
        "psid": challan.psid,
        "plate": challan.plate,
        "url": verify_url(challan),
    }


def _email_body(facts: dict[str, str], purpose: str) -> str:
    lead = {
        Notice.Purpose.ISSUED: "A traffic violation by your vehicle {plate} was recorded and "
        "reviewed. The e-challan is attached.",
        Notice.Purpose.REMINDER: "Your e-challan for vehicle {plate} is due on {due}.",
        Notice.Purpose.OVERDUE: "Your e-challan for vehicle {plate} was not paid by {due}; "
        "the late fee now applies.",
        Notice.Purpose.CONTEST_DECIDED: "Your complaint against the e-challan for {plate} has "
        "been decided; see the verification page.",
    }[Notice.Purpose(purpose)]
    return (
        f"{lead.format(**facts)}\n\n"
        "Challan: {number}\nAmount: {amount}\nDue date: {due}\nPSID: {psid}\n\n"
        "Pay with the PSID at any bank, ATM, mobile or internet banking app.\n"
        "View, verify or contest: {url}\n"
    ).format(**facts)


def _sms_text(facts: dict[str, str], purpose: str) -> str:
    head = {
        Notice.Purpose.ISSUED: "E-challan {number} for {plate}: {violation}.",
        Notice.Purpose.REMINDER: "Reminder: e-challan {number} for {plate}.",
        Notice.Purpose.OVERDUE: "Overdue: e-challan {number} for {plate}, late fee applied.",
        Notice.Purpose.CONTEST_DECIDED: "Complaint on e-challan {number} decided.",
    }[Notice.Purpose(purpose)]
    # Past the due date there is no "by" to pay by: the amount is due now.
    pay = (
        " Pay {amount} now (was due {due}), PSID {psid}. {url}"
        if purpose == Notice.Purpose.OVERDUE
        else " Pay {amount} by {due}, PSID {psid}. {url}"
    )
    return (head + pay).format(**facts)


def _send_once(
    challan: Challan, channel: str, purpose: str, recipient: str, send: Callable[[], str]
) -> Notice | None:
    """Claim the (challan, channel, purpose) row first; whoever claims it sends.

    The unique constraint makes a repeat (a second delivery, a re-run job) send nothing.
    """
    notice, created = Notice.objects.get_or_create(
        challan=challan,
        channel=channel,
        purpose=purpose,
        defaults={"recipient": recipient, "outcome": "sending"},
    )
    if not created:
        return None
    try:
        notice.detail = send()
        notice.outcome = "sent"
    except (SmsError, smtplib.SMTPException, OSError) as exc:
        logger.warning("notice %s to %s failed: %s", notice.pk, recipient, exc)
        notice.outcome = "failed"
        notice.detail = str(exc)[:2000]
    notice.save(update_fields=["outcome", "detail"])
    return notice


def send_notices(challan_id: int, purpose: str) -> list[Notice]:
    """Email (with the PDF) and SMS the owner about a challan; returns the notices sent now."""
    challan = (
        Challan.objects.select_related("registration", "violation").filter(pk=challan_id).first()
    )
    if challan is None:
        return []
    facts = _facts(challan)
    registration = challan.registration
    sent: list[Notice] = []
    if registration.email:

        def send_email() -> str:
            message = EmailMessage(
                subject=_SUBJECTS[Notice.Purpose(purpose)].format(**facts),
                body=_email_body(facts, purpose),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[registration.email],
            )
            if challan.pdf and purpose == Notice.Purpose.ISSUED:
                with challan.pdf.open("rb") as handle:
                    message.attach(f"{challan.number}.pdf", handle.read(), "application/pdf")
            message.send(fail_silently=False)
            return f"email to {registration.email}"

        notice = _send_once(challan, Notice.Channel.EMAIL, purpose, registration.email, send_email)
        if notice is not None:
            sent.append(notice)
    if registration.phone:
        text = _sms_text(facts, purpose)
        notice = _send_once(
            challan,
            Notice.Channel.SMS,
            purpose,
            registration.phone,
            lambda: f"sms id {send_sms(registration.phone, text)}",
        )
        if notice is not None:
            sent.append(notice)
    return sent
