"""Task registration and delivery options (no broker needed: eager mode)."""

import pytest
from django.db import InterfaceError, OperationalError

from challans import tasks
from challans.models import Challan
from enforcement.celery import app


def test_every_beat_job_names_a_registered_task():
    names = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert names >= {
        "challans.issue_missing_challans",
        "challans.send_due_reminders",
        "challans.mark_overdue",
        "challans.daily_summary",
    }
    assert names <= set(app.tasks)
    assert "challans.issue_challan" in app.tasks


def test_issue_challan_is_redelivered_on_worker_loss_and_retries_only_transient_errors():
    task = app.tasks["challans.issue_challan"]
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert set(task.autoretry_for) == {OperationalError, InterfaceError}
    assert 0 < task.max_retries <= 10


@pytest.mark.django_db
def test_the_tasks_run_eagerly_without_a_broker(
    fines, registration, make_violation, django_capture_on_commit_callbacks
):
    violation = make_violation()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = tasks.issue_challan.delay(violation.pk).get()
    assert outcome == {"violation_id": violation.pk, "challan": Challan.objects.get().number}
    assert tasks.issue_missing_challans.delay().get()["issued"] == 0
    assert tasks.mark_overdue.delay().get() == 0
    assert tasks.send_due_reminders.delay().get() == 0
    assert tasks.daily_summary.delay().get()["issued"] == "1"
