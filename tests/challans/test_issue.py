"""Issuing, cancelling and re-issuing challans (services, in-process)."""

import hashlib
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from challans.models import Challan, ChallanDocument, ChallanEvent, Notice
from challans.numbering import psid_is_valid
from challans.services import ChallanActionError, cancel_challan, issue_challan, reissue_challan
from violations.models import Violation
from violations.signals import violation_approved

from .conftest import PKT, make_registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(db) -> User:
    user = User.objects.create_user("supervisor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="cancel_challan"))
    return User.objects.get(pk=user.pk)  # fresh: permissions are cached per instance


def test_it_issues_a_challan_with_fine_due_date_psid_and_pdf(
    fines, registration, make_violation, outboxes, media_root
):
    violation = make_violation()

    challan = issue_challan(violation.pk)

    assert challan is not None
    assert challan.number.startswith("PSCA-LHR-") and challan.number.endswith("-00000001")
    assert challan.amount_pkr == 5000  # speeding, car, 2025 schedule
    assert challan.fine_class == "car"
    assert challan.due_date == timezone.localdate() + timedelta(days=10)
    assert psid_is_valid(challan.psid)
    assert (challan.plate, challan.owner_cnic) == ("LEA-6879", "3520212345673")
    document = ChallanDocument.objects.get(challan=challan)
    data = (media_root / document.file.name).read_bytes()
    assert document.version == 1 and challan.pdf_version == 1
    assert document.file.name == f"challans/{challan.issued_at.year}/{challan.number}-v1.pdf"
    assert hashlib.sha256(data).hexdigest() == document.sha256 == challan.pdf_sha256
    assert data.startswith(b"%PDF")
    violation.refresh_from_db()
    assert violation.status == Violation.Status.CHALLAN_ISSUED
    assert list(challan.events.values_list("action", flat=True)) == ["issued"]


def test_issuing_twice_returns_the_same_challan_and_one_pdf(
    fines, registration, make_violation, outboxes, media_root, django_capture_on_commit_callbacks
):
    violation = make_violation()
    with django_capture_on_commit_callbacks(execute=True):
        first = issue_challan(violation.pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = issue_challan(violation.pk)
    assert first is not None and second is not None
    assert first.pk == second.pk
    assert Challan.objects.count() == 1
    assert ChallanDocument.objects.count() == 1
    assert len(list((media_root / "challans").rglob("*.pdf"))) == 1
    assert Notice.objects.filter(purpose="issued").count() == 2  # one email, one SMS


def test_the_fine_follows_the_violation_date_not_the_issue_date(
    fines, registration, make_violation
):
    violation = make_violation(occurred_at=datetime(2024, 12, 31, 23, 30, tzinfo=PKT))
    challan = issue_challan(violation.pk)
    assert challan is not None and challan.amount_pkr == 500  # the older schedule


def test_the_registry_class_sets_the_fine(fines, make_violation):
    make_registration("LEB-2700", vehicle_class="car", fine_class="car_over_2000cc", engine_cc=2700)
    violation = make_violation("LEB-2700", kind="red_light", time_into_red_s=2.4)
    challan = issue_challan(violation.pk)
    assert challan is not None and challan.amount_pkr == 10000


def test_a_plate_missing_from_the_registry_needs_an_owner(fines, registration, make_violation):
    violation = make_violation("QQX-4040")
    assert issue_challan(violation.pk) is None
    violation.refresh_from_db()
    assert violation.status == Violation.Status.NEEDS_OWNER
    assert violation.decisions.filter(note__contains="QQX-4040 not in the registry").exists()
    assert not Challan.objects.exists()


def test_an_approval_announced_by_violations_issues_the_challan_on_commit(
    fines, registration, make_violation, django_capture_on_commit_callbacks
):
    violation = make_violation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        violation_approved.send(sender=Violation, violation_id=violation.pk)
        assert not Challan.objects.exists()  # nothing before the approval commits
    assert len(callbacks) >= 1
    assert Challan.objects.get().violation_id == violation.pk


def test_an_unreadable_plate_needs_an_owner(fines, registration, make_violation):
    violation = make_violation("", plate_unreadable=True)
    assert issue_challan(violation.pk) is None
    violation.refresh_from_db()
    assert violation.status == Violation.Status.NEEDS_OWNER


@pytest.mark.parametrize("status", ["pending", "rejected", "needs_owner"])
def test_only_approved_violations_get_a_challan(fines, registration, make_violation, status):
    violation = make_violation(status=status)
    assert issue_challan(violation.pk) is None
    violation.refresh_from_db()
    assert violation.status == status
    assert not Challan.objects.exists()


def test_a_missing_violation_issues_nothing(fines):
    assert issue_challan(987654) is None


def test_a_supervisor_cancels_with_a_recorded_reason(
    fines, registration, make_violation, supervisor
):
    challan = issue_challan(make_violation().pk)
    assert challan is not None
    cancelled = cancel_challan(challan.pk, actor=supervisor, reason="Ambulance on duty")
    assert cancelled.status == Challan.Status.CANCELLED
    event = ChallanEvent.objects.get(challan=challan, action="cancelled")
    assert (event.actor, event.note) == (supervisor, "Ambulance on duty")
    with pytest.raises(ChallanActionError, match="cannot be cancelled"):
        cancel_challan(challan.pk, actor=supervisor, reason="again")


def test_cancelling_needs_a_reason_and_the_permission(
    fines, registration, make_violation, supervisor
):
    challan = issue_challan(make_violation().pk)
    assert challan is not None
    with pytest.raises(ChallanActionError, match="reason"):
        cancel_challan(challan.pk, actor=supervisor, reason="  ")
    clerk = User.objects.create_user("clerk", is_staff=True)
    with pytest.raises(PermissionDenied):
        cancel_challan(challan.pk, actor=clerk, reason="no")
    challan.refresh_from_db()
    assert challan.status == Challan.Status.ISSUED


def test_reissue_after_a_plate_correction_adds_a_version_and_keeps_the_old(
    fines, registration, make_violation, supervisor, media_root
):
    violation = make_violation()
    challan = issue_challan(violation.pk)
    assert challan is not None
    make_registration("LEA-6878", owner_name="Ayesha Malik", cnic="3520298765432", fine_class="car")
    Violation.objects.filter(pk=violation.pk).update(plate="LEA-6878")

    reissued = reissue_challan(challan.pk, actor=supervisor, reason="Plate corrected 6879 -> 6878")

    documents = list(ChallanDocument.objects.filter(challan=challan).order_by("version"))
    assert [d.version for d in documents] == [1, 2]
    assert all((media_root / d.file.name).exists() for d in documents)
    assert documents[0].sha256 != documents[1].sha256
    assert reissued.pdf.name == documents[1].file.name and reissued.pdf_version == 2
    assert (reissued.plate, reissued.owner_cnic) == ("LEA-6878", "3520298765432")
    event = ChallanEvent.objects.get(challan=challan, action="reissued")
    assert event.data["changes"]["plate"] == ["LEA-6879", "LEA-6878"]


def test_reissue_refuses_a_plate_that_is_not_registered(
    fines, registration, make_violation, supervisor
):
    violation = make_violation()
    challan = issue_challan(violation.pk)
    assert challan is not None
    Violation.objects.filter(pk=violation.pk).update(plate="ZZZ-1")
    with pytest.raises(ChallanActionError, match="not in the registry"):
        reissue_challan(challan.pk, actor=supervisor, reason="fix")
    assert ChallanDocument.objects.filter(challan=challan).count() == 1


def test_issue_is_stamped_with_todays_date(fines, registration, make_violation):
    challan = issue_challan(make_violation().pk)
    assert challan is not None
    assert timezone.localtime(challan.issued_at).date() == timezone.localdate()
    assert challan.due_date > date(2026, 1, 1)
