"""Email and SMS notices: sent once per purpose and channel, each recorded with its outcome."""

import pytest

from challans.models import Notice
from challans.notices import send_notices
from challans.services import issue_challan
from challans.sms import SmsError

from .conftest import make_registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def challan(fines, registration, make_violation, media_root):
    issued = issue_challan(make_violation().pk)
    assert issued is not None
    return issued


def test_the_owner_gets_an_email_with_the_pdf_and_an_sms(challan, outboxes):
    emails, sms = outboxes
    sent = send_notices(challan.pk, Notice.Purpose.ISSUED)

    assert {(n.channel, n.outcome) for n in sent} == {("email", "sent"), ("sms", "sent")}
    assert len(emails) == 1
    email = emails[0]
    assert email.to == ["asif.khan@example.pk"]
    assert challan.number in email.subject
    assert challan.psid in email.body and f"/verify/{challan.public_token}/" in email.body
    (name, content, mimetype) = email.attachments[0]
    assert name == f"{challan.number}.pdf" and mimetype == "application/pdf"
    assert content == challan.pdf.open("rb").read()
    assert len(sms) == 1
    assert sms[0].to == "03001234567"
    assert challan.psid in sms[0].text and "Rs 5,000" in sms[0].text


def test_sending_again_sends_nothing(challan, outboxes):
    emails, sms = outboxes
    send_notices(challan.pk, Notice.Purpose.ISSUED)
    assert send_notices(challan.pk, Notice.Purpose.ISSUED) == []
    assert (len(emails), len(sms)) == (1, 1)
    assert Notice.objects.filter(challan=challan).count() == 2


def test_an_owner_without_email_gets_only_an_sms(fines, make_violation, media_root, outboxes):
    make_registration("RIA-9133", email="")
    challan = issue_challan(make_violation("RIA-9133").pk)
    assert challan is not None
    sent = send_notices(challan.pk, Notice.Purpose.ISSUED)
    assert [n.channel for n in sent] == ["sms"]
    assert outboxes[0] == []


def test_a_failed_sms_is_recorded_with_its_reason(challan, outboxes, monkeypatch):
    def refuse(self, to, text):
        raise SmsError("gateway returned 503")

    monkeypatch.setattr("challans.sms.LocmemSmsBackend.send", refuse)
    send_notices(challan.pk, Notice.Purpose.ISSUED)
    notice = Notice.objects.get(challan=challan, channel="sms")
    assert notice.outcome == "failed"
    assert "503" in notice.detail
    assert Notice.objects.get(challan=challan, channel="email").outcome == "sent"


def test_the_logging_backend_is_the_default(challan, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert settings.SMS_BACKEND == "challans.sms.LoggingSmsBackend"
    with caplog.at_level("INFO", logger="challans.sms"):
        send_notices(challan.pk, Notice.Purpose.REMINDER)
    assert any(challan.number in record.getMessage() for record in caplog.records)
    assert Notice.objects.get(challan=challan, channel="sms", purpose="reminder").outcome == "sent"


def test_the_overdue_sms_asks_for_the_amount_with_late_fee_now(challan, outboxes):
    _, sms = outboxes
    challan.status = "overdue"
    challan.late_fee_pkr = 5000
    challan.save(update_fields=["status", "late_fee_pkr"])

    send_notices(challan.pk, Notice.Purpose.OVERDUE)

    assert len(sms) == 1
    text = sms[0].text
    assert text.startswith(f"Overdue: e-challan {challan.number}")
    assert "Rs 10,000 now (was due" in text and " by " not in text
