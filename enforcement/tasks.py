"""Enforcement tasks: processing uploaded clips, and a health probe for the workers."""

from __future__ import annotations

import os
import socket

from celery import shared_task
from django.db import connection
from django.utils import timezone


@shared_task(name="enforcement.health_check")
def health_check() -> dict[str, str]:
    """Prove a worker can reach the database; the result lands in the result backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "database": connection.vendor,
        "at": timezone.now().isoformat(),
    }


@shared_task(
    name="enforcement.process_clip",
    acks_late=True,
    reject_on_worker_lost=True,
)
def process_clip(camera_code: str, source: str, start_time_iso: str) -> dict[str, object]:
    """Process an uploaded clip; idempotent because recording a violation event is."""
    from datetime import datetime

    from enforcement.clip_services import process_clip as run
    from enforcement.models import Camera

    camera = Camera.objects.select_related("city").get(code=camera_code)
    summary = run(camera, source, start_time=datetime.fromisoformat(start_time_iso))
    return summary.as_dict()
