"""Review decisions: recorded with who and when, two-stage rules, and refusals."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.violations.conftest import speeding_event
from violations import services
from violations.errors import (
    InvalidDecision,
    InvalidTransition,
    ReviewNotAllowed,
    ViolationNotFound,
)
from violations.models import ReviewDecision, Violation

pytestmark = pytest.mark.django_db
Status = Violation.Status


@pytest.fixture
def violation(camera):
    return services.record_violation_event(speeding_event(confidence=0.93))[0]


@pytest.fixture
def low_confidence(camera):
    return services.record_violation_event(speeding_event(track_id=8, confidence=0.55))[0]


def only_decision(violation: Violation) -> ReviewDecision:
    (decision,) = violation.decisions.all()
    return decision


def test_approving_records_who_and_when_and_announces_it_on_commit(
    violation, warden, approvals, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.approve_violation(violation.pk, reviewer=warden, note="clear plate")

    violation.refresh_from_db()
    decision = only_decision(violation)
    assert violation.status == Status.APPROVED
    assert (violation.reviewed_by, decision.reviewer) == (warden, warden)
    assert decision.decision == ReviewDecision.Decision.APPROVE
    assert decision.decided_at >= before and decision.note == "clear plate"
    assert decision.status_after == Status.APPROVED
    assert len(callbacks) == 1
    assert approvals == [violation.pk]


def test_a_rolled_back_approval_announces_nothing(violation, warden, approvals):
    from django.db import transaction

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.approve_violation(violation.pk, reviewer=warden)
        raise Abort
    violation.refresh_from_db()
    assert violation.status == Status.PENDING
    assert approvals == []


def test_rejecting_records_the_reason_and_note(violation, warden):
    services.reject_violation(
        violation.pk, reviewer=warden, reason_code="exempt_vehicle", note="ambulance"
    )

    violation.refresh_from_db()
    decision = only_decision(violation)
    assert violation.status == Status.REJECTED
    assert (decision.reviewer, decision.reason_code, decision.note) == (
        warden,
        "exempt_vehicle",
        "ambulance",
    )


def test_a_rejection_needs_a_known_reason_and_other_needs_a_note(violation, warden):
    with pytest.raises(InvalidDecision, match="not a rejection reason"):
        services.reject_violation(violation.pk, reviewer=warden, reason_code="bored")
    with pytest.raises(InvalidDecision, match="needs a note"):
        services.reject_violation(violation.pk, reviewer=warden, reason_code="other")
    assert violation.decisions.count() == 0


def test_correcting_the_plate_keeps_the_reading_and_needs_a_second_review(
    violation, warden, approvals, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.correct_plate_and_approve(violation.pk, reviewer=warden, plate=" lea 6878 ")

    violation.refresh_from_db()
    decision = only_decision(violation)
    assert violation.plate == "LEA-6878" and violation.plate_read == "LEA-6879"
    assert (decision.plate_before, decision.plate_after) == ("LEA-6879", "LEA-6878")
    assert violation.status == Status.AWAITING_SECOND
    assert decision.data["second_review_reasons"] == ["the plate was corrected by the reviewer"]
    assert approvals == []


def test_a_corrected_plate_is_approved_at_once_when_the_rule_is_off(violation, warden, settings):
    settings.NIGRAN_SECOND_REVIEW = {"corrected_plate": False, "max_plate_confidence": None}

    services.correct_plate_and_approve(violation.pk, reviewer=warden, plate="LEA-6878")

    violation.refresh_from_db()
    assert violation.status == Status.APPROVED


def test_a_typed_plate_that_is_not_a_plate_is_refused(violation, warden):
    with pytest.raises(InvalidDecision, match="LEA-1234"):
        services.correct_plate_and_approve(violation.pk, reviewer=warden, plate="LE@#1")


def test_escalating_needs_a_note_and_is_recorded(violation, warden):
    with pytest.raises(InvalidDecision):
        services.escalate_violation(violation.pk, reviewer=warden, note="  ")

    services.escalate_violation(violation.pk, reviewer=warden, note="plate half hidden")

    violation.refresh_from_db()
    assert violation.status == Status.ESCALATED
    assert only_decision(violation).decision == ReviewDecision.Decision.ESCALATE


def test_low_plate_confidence_needs_a_second_review_by_a_supervisor(
    low_confidence, warden, supervisor, approvals, django_capture_on_commit_callbacks
):
    services.approve_violation(low_confidence.pk, reviewer=warden)
    low_confidence.refresh_from_db()
    assert low_confidence.status == Status.AWAITING_SECOND

    with django_capture_on_commit_callbacks(execute=True):
        services.second_review(low_confidence.pk, reviewer=supervisor, approve=True)

    low_confidence.refresh_from_db()
    assert low_confidence.status == Status.APPROVED
    stages = list(low_confidence.decisions.values_list("stage", "reviewer__username"))
    assert stages == [(1, "warden_ali"), (2, "supervisor_imran")]
    assert approvals == [low_confidence.pk]


def test_a_fine_above_the_threshold_needs_a_second_review(violation, warden, settings):
    settings.NIGRAN_SECOND_REVIEW = {"min_fine_pkr": 10000, "max_plate_confidence": None}
    settings.NIGRAN_FINE_LOOKUP = "tests.violations.test_review.heavy_fine"

    services.approve_violation(violation.pk, reviewer=warden)

    violation.refresh_from_db()
    assert violation.status == Status.AWAITING_SECOND
    assert "fine Rs 15,000" in only_decision(violation).data["second_review_reasons"][0]


def heavy_fine(kind: str, vehicle_class: str, plate: str) -> int:
    return 15000 if kind == "speeding" else 2000


def test_a_warden_cannot_give_the_second_review(low_confidence, warden, warden2):
    services.approve_violation(low_confidence.pk, reviewer=warden)

    with pytest.raises(ReviewNotAllowed, match="second_review_violation"):
        services.second_review(low_confidence.pk, reviewer=warden2, approve=True)


def test_the_second_reviewer_must_differ_from_the_first(low_confidence, supervisor):
    services.approve_violation(low_confidence.pk, reviewer=supervisor)

    with pytest.raises(ReviewNotAllowed, match="different supervisor"):
        services.second_review(low_confidence.pk, reviewer=supervisor, approve=True)
    low_confidence.refresh_from_db()
    assert low_confidence.status == Status.AWAITING_SECOND


def test_a_warden_cannot_approve_their_own_escalation(violation, warden):
    services.escalate_violation(violation.pk, reviewer=warden, note="check the plate")

    with pytest.raises(ReviewNotAllowed, match="escalated"):
        services.approve_violation(violation.pk, reviewer=warden)


def test_a_supervisor_cannot_decide_their_own_escalation_but_another_can(
    violation, supervisor, supervisor2
):
    services.escalate_violation(violation.pk, reviewer=supervisor, note="unsure of the speed")

    with pytest.raises(ReviewNotAllowed, match="you escalated"):
        services.second_review(violation.pk, reviewer=supervisor, approve=True)
    services.second_review(
        violation.pk, reviewer=supervisor2, approve=False, reason_code="measurement_doubt"
    )

    violation.refresh_from_db()
    assert violation.status == Status.REJECTED
    assert violation.decisions.last().decision == ReviewDecision.Decision.SECOND_REJECT


def test_staff_cannot_act_on_another_citys_violation(camera, other_camera, rawalpindi_warden):
    violation, _ = services.record_violation_event(speeding_event("LHR-001"))

    with pytest.raises(ViolationNotFound, match="not in your cities"):
        services.approve_violation(violation.pk, reviewer=rawalpindi_warden)
    with pytest.raises(ViolationNotFound, match="not in your cities"):
        services.approve_violation(999_999, reviewer=rawalpindi_warden)


def test_an_operator_cannot_review(violation, operator):
    with pytest.raises(ReviewNotAllowed, match="review_violation"):
        services.reject_violation(violation.pk, reviewer=operator, reason_code="duplicate")


def test_a_decided_violation_cannot_be_decided_again(violation, warden, warden2):
    services.reject_violation(violation.pk, reviewer=warden, reason_code="duplicate")

    with pytest.raises(InvalidTransition, match="rejected"):
        services.approve_violation(violation.pk, reviewer=warden2)


def test_an_unreadable_plate_cannot_be_approved_as_read(camera, warden):
    violation, _ = services.record_violation_event(speeding_event(plate_text="", confidence=0))

    with pytest.raises(InvalidDecision, match="correct the plate"):
        services.approve_violation(violation.pk, reviewer=warden)


def test_the_challans_app_reports_back_once(violation, warden):
    services.approve_violation(violation.pk, reviewer=warden)

    assert services.mark_needs_owner(violation.pk, reason="LEA-6879 not in registry") is True
    assert services.mark_needs_owner(violation.pk, reason="again") is False
    services.correct_plate_and_approve(violation.pk, reviewer=warden, plate="LEA-6878")
    violation.refresh_from_db()
    assert violation.status == Status.AWAITING_SECOND
    decisions = list(violation.decisions.values_list("decision", "reviewer__username"))
    assert decisions[1] == ("needs_owner", None)


def test_marking_a_challan_issued_is_idempotent_and_only_after_approval(violation, warden):
    with pytest.raises(InvalidTransition):
        services.mark_challan_issued(violation.pk)
    services.approve_violation(violation.pk, reviewer=warden)

    assert services.mark_challan_issued(violation.pk) is True
    assert services.mark_challan_issued(violation.pk) is False
    violation.refresh_from_db()
    assert violation.status == Status.CHALLAN_ISSUED


def test_bulk_approve_approves_the_clear_cases_and_reports_the_rest(
    camera, warden, rawalpindi_warden, other_camera
):
    clear = services.record_violation_event(speeding_event(track_id=1))[0]
    doubtful = services.record_violation_event(speeding_event(track_id=2, confidence=0.4))[0]
    unreadable = services.record_violation_event(
        speeding_event(track_id=3, plate_text="", confidence=0)
    )[0]
    elsewhere = services.record_violation_event(speeding_event("RWP-001", track_id=4))[0]

    outcome = services.bulk_approve(
        [clear.pk, doubtful.pk, unreadable.pk, elsewhere.pk], reviewer=warden
    )

    assert outcome.done == [clear.pk]
    assert outcome.awaiting_second == [doubtful.pk]
    assert set(outcome.refused) == {unreadable.pk, elsewhere.pk}
    assert Violation.objects.get(pk=elsewhere.pk).status == Status.PENDING


def test_review_decisions_are_append_only(violation, warden):
    from violations.models import FrozenRecordError

    services.reject_violation(violation.pk, reviewer=warden, reason_code="obstructed")
    decision = violation.decisions.get()

    decision.note = "rewritten"
    with pytest.raises(FrozenRecordError):
        decision.save()
    with pytest.raises(FrozenRecordError):
        decision.delete()
