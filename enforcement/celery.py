"""The Celery app. Workers: `celery -A enforcement.celery worker`; beat: `... beat`.

With no `CELERY_BROKER_URL`, settings make every task run eagerly in-process.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enforcement.settings")

app = Celery("nigran")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The batch jobs; each is idempotent, so a missed or doubled beat does no harm.
app.conf.beat_schedule = {
    "issue-missing-challans": {
        "task": "challans.issue_missing_challans",
        "schedule": crontab(minute="*/15"),
    },
    "send-due-reminders": {
        "task": "challans.send_due_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "mark-overdue": {
        "task": "challans.mark_overdue",
        "schedule": crontab(hour=0, minute=30),
    },
    "daily-summary": {
        "task": "challans.daily_summary",
        "schedule": crontab(hour=23, minute=55),
    },
}


@worker_process_init.connect
def preload_plate_reader(**_: object) -> None:
    """Load EasyOCR once per worker process when this worker processes clips.

    Off by default (workers that only issue challans need no model); the reader is
    otherwise loaded lazily, still once per process, on the first clip.
    """
    if os.environ.get("NIGRAN_PRELOAD_OCR", "").lower() in {"1", "true", "yes"}:
        from django.conf import settings

        from ocr import get_plate_reader

        get_plate_reader(settings.NIGRAN["OCR_MODEL_DIR"]).recogniser  # noqa: B018
