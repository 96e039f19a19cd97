"""The batch jobs: catch-up issuing, reminders, overdue, daily summary; twice changes nothing."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from challans import reports, services
from challans.models import Challan, ChallanEvent, Notice
from violations.models import Violation

from .conftest import make_registration

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:
    return list(
        Challan.objects.order_by("pk").values_list(
            "pk", "status", "late_fee_pkr", "reminder_sent_at", "pdf_version", "updated_at"
        )
    ) + [
        (
            ChallanEvent.objects.count(),
            Notice.objects.count(),
            Violation.objects.filter(status="approved").count(),
        )
    ]


@pytest.fixture
def approved(fines, registration, make_violation, outboxes):
    make_registration("RIA-9133", email="", vehicle_class="motorcycle", fine_class="motorcycle")
    return [make_violation(), make_violation("RIA-9133"), make_violation("QQX-4040")]


def test_catch_up_issues_approved_violations_without_a_challan(
    approved, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.issue_missing_challans()
    assert counts == {"issued": 2, "needs_owner": 1, "pdf_completed": 0, "failed": 0}
    assert Challan.objects.count() == 2
    assert Violation.objects.get(plate="QQX-4040").status == "needs_owner"
    before = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.issue_missing_challans()
    assert again == {"issued": 0, "needs_owner": 0, "pdf_completed": 0, "failed": 0}
    assert _snapshot() == before


def test_catch_up_completes_a_challan_whose_pdf_was_never_stored(approved):
    challan = services._create_challan(approved[0].pk)
    assert challan is not None and challan.pdf_version == 0
    counts = services.issue_missing_challans()
    assert counts["pdf_completed"] == 1
    challan.refresh_from_db()
    assert challan.pdf_version == 1 and challan.documents.count() == 1


def test_reminders_go_once_for_challans_due_soon(approved, django_capture_on_commit_callbacks):
    services.issue_missing_challans()
    soon, later = Challan.objects.order_by("pk")
    today = timezone.localdate()
    Challan.objects.filter(pk=soon.pk).update(due_date=today + timedelta(days=2))
    Challan.objects.filter(pk=later.pk).update(due_date=today + timedelta(days=9))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_reminders(today) == 1
    assert Notice.objects.filter(purpose="reminder", challan=soon).count() == 2
    assert not Notice.objects.filter(purpose="reminder", challan=later).exists()
    before = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_reminders(today) == 0
    assert _snapshot() == before


def test_overdue_challans_get_the_late_fee_once(approved, django_capture_on_commit_callbacks):
    services.issue_missing_challans()
    late, on_time = Challan.objects.order_by("pk")
    today = timezone.localdate()
    Challan.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=1))
    Challan.objects.filter(pk=on_time.pk).update(due_date=today)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_overdue(today) == 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert (late.status, late.late_fee_pkr) == ("overdue", 5000)
    assert services.amount_due(late, today) == (5000, 5000, 10000)
    assert on_time.status == "issued"
    assert Notice.objects.filter(purpose="overdue", challan=late).count() == 2
    before = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_overdue(today) == 0
    assert _snapshot() == before


def test_a_paid_challan_is_never_marked_overdue(approved):
    services.issue_missing_challans()
    Challan.objects.update(status="paid", due_date=timezone.localdate() - timedelta(days=30))
    assert services.mark_overdue(timezone.localdate()) == 0


def test_the_daily_summary_writes_csv_and_a_pdf_with_a_chart(approved, media_root):
    services.issue_missing_challans()
    today = timezone.localdate()

    summary = reports.write_daily_summary(today)

    assert (summary.issued, summary.amount_pkr, summary.files_written) == (2, 7000, 2)
    rows = list(csv.DictReader(io.StringIO((media_root / summary.csv_name).read_text())))
    assert sorted(r["plate"] for r in rows) == ["LEA-6879", "RIA-9133"]
    assert {r["amount_pkr"] for r in rows} == {"5000", "2000"}
    text = PdfReader(media_root / summary.pdf_name).pages[0].extract_text()
    assert "Challans issued by violation" in text and "Rs 7,000" in text
    pdf_before = (media_root / summary.pdf_name).read_bytes()
    again = reports.write_daily_summary(today)
    assert again.files_written == 0
    assert (media_root / summary.pdf_name).read_bytes() == pdf_before


def test_the_commands_run_each_job(approved, media_root, capsys):
    call_command("issue_missing_challans")
    call_command("send_reminders")
    call_command("mark_overdue")
    call_command("daily_summary")
    out = capsys.readouterr().out
    assert "issued 2" in out and "needs owner 1" in out
    assert "challans issued 2" in out
    assert Challan.objects.count() == 2
