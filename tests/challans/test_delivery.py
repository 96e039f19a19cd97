"""Delivery guarantees through a real Redis broker and a real worker process.

Duplicate deliveries, a transient database failure and a worker killed mid-batch must
all end with exactly one challan and one PDF file per approved violation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from challans.models import Challan, ChallanDocument, ChallanSequence
from challans.tasks import issue_challan, issue_missing_challans

from .conftest import make_registration

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture
def worker_env(media_root: Path, monkeypatch) -> Path:
    """Settings for the worker process; must be set before ``live_worker`` starts it."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    # A killed worker's unacknowledged messages come back after this many seconds.
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5")
    return media_root


@pytest.fixture
def plates(fines) -> list[str]:
    plates = [f"LEC-{100 + n}" for n in range(30)]
    for n, plate in enumerate(plates):
        make_registration(plate, cnic=f"35202{n:07d}1")
    return plates


def _wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _assert_exactly_once(violation_ids: list[int], media_root: Path) -> None:
    challans = Challan.objects.filter(violation_id__in=violation_ids)
    assert challans.count() == len(violation_ids)
    assert sorted(challans.values_list("violation_id", flat=True)) == sorted(violation_ids)
    assert ChallanDocument.objects.filter(challan__in=challans).count() == len(violation_ids)
    assert set(challans.values_list("pdf_version", flat=True)) == {1}
    files = sorted(p.name for p in (media_root / "challans").rglob("*.pdf"))
    assert files == sorted(f"{c.number}-v1.pdf" for c in challans)
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in challans.values_list("number", flat=True))
    assert numbers == list(range(1, len(violation_ids) + 1))  # no number used twice or lost


def test_duplicate_deliveries_on_two_processes_issue_one_challan_each(
    worker_env, plates, make_violation, live_worker
):
    violations = [make_violation(plate) for plate in plates[:8]]
    results = [issue_challan.delay(v.pk) for v in violations for _ in range(3)]

    outcomes = [result.get(timeout=120) for result in results]

    for violation in violations:
        numbers = {o["challan"] for o in outcomes if o["violation_id"] == violation.pk}
        assert len(numbers) == 1 and None not in numbers
    _assert_exactly_once([v.pk for v in violations], worker_env)


@pytest.fixture
def first_insert_fails(transactional_db) -> Iterator[Callable[[], int]]:
    """The first INSERT into challans fails with a serialization failure (SQLSTATE 40001).

    A real, transient PostgreSQL error raised inside the worker's transaction; the
    sequence is not transactional, so it counts attempts across rollbacks.
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE test_fault_attempts")
        cursor.execute(
            """
            CREATE FUNCTION test_fail_first_challan() RETURNS trigger AS $$
            BEGIN
              IF nextval('test_fault_attempts') = 1 THEN
                RAISE EXCEPTION 'injected transient failure' USING ERRCODE = '40001';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql
            """
        )
        cursor.execute(
            "CREATE TRIGGER test_fail_first_challan BEFORE INSERT ON challans_challan "
            "FOR EACH ROW EXECUTE FUNCTION test_fail_first_challan()"
        )

    def attempts() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value FROM test_fault_attempts")
            return int(cursor.fetchone()[0])

    try:
        yield attempts
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS test_fail_first_challan ON challans_challan")
            cursor.execute("DROP FUNCTION IF EXISTS test_fail_first_challan()")
            cursor.execute("DROP SEQUENCE IF EXISTS test_fault_attempts")


def test_a_transient_database_error_is_retried_into_one_challan(
    worker_env, plates, make_violation, first_insert_fails, live_worker
):
    violation = make_violation(plates[0])

    outcome = issue_challan.delay(violation.pk).get(timeout=120)

    assert outcome["challan"] is not None
    assert first_insert_fails() == 2  # failed once, then succeeded on the retry
    _assert_exactly_once([violation.pk], worker_env)
    # The failed attempt's number was rolled back and given to the retry.
    assert ChallanSequence.objects.get().last_number == 1


def test_a_worker_killed_mid_batch_and_restarted_issues_every_challan_once(
    worker_env, plates, make_violation, live_worker
):
    violations = [make_violation(plate) for plate in plates]
    ids = [v.pk for v in violations]
    for violation_id in ids:
        issue_challan.delay(violation_id)
    _wait_for(lambda: Challan.objects.count() >= 4, 120, "the first challans")

    live_worker.kill()
    done_when_killed = Challan.objects.filter(pdf_version=1).count()
    live_worker.start()
    # Messages the killed worker had reserved come back after the visibility timeout
    # (acks_late). One it had popped from Redis but not yet recorded as unacked is lost
    # with it: a known gap of the Redis transport, which is why beat runs the catch-up
    # sweep every 15 minutes. Run it once here, as beat would, racing the redeliveries.
    issue_missing_challans.delay()

    _wait_for(
        lambda: Challan.objects.filter(violation_id__in=ids, pdf_version=1).count() == len(ids),
        180,
        "every challan after the restart",
    )
    assert done_when_killed < len(ids), "the kill came too late to test anything"
    _assert_exactly_once(ids, worker_env)
