"""Tasks go through a real broker and a real worker, and results land in PostgreSQL."""

import os

import pytest
from django_celery_results.models import TaskResult

from enforcement.tasks import health_check


@pytest.mark.services
def test_a_task_runs_in_a_real_worker_and_its_result_is_stored_in_postgres(live_worker):
    result = health_check.delay()

    payload = result.get(timeout=60)

    assert payload["database"] == "postgresql"
    worker_pid = int(payload["worker"].rsplit(":", 1)[1])
    assert worker_pid != os.getpid(), "the task ran in the test process, not in the worker"
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "enforcement.health_check"


def test_without_a_broker_tasks_run_eagerly_in_process(db):
    from enforcement.celery import app

    assert app.conf.task_always_eager is True
    assert health_check.delay().get()["worker"].endswith(f":{os.getpid()}")
