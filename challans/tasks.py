"""Challan tasks: thin wrappers over challans.services, safe to deliver twice.

Tasks take ids, re-fetch and lock rows, and return early when the work is already done,
so ``acks_late`` + ``reject_on_worker_lost`` (redelivery when a worker dies) is safe.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from challans import notices, reports, services

# Lost connections, deadlocks and serialization failures; a missing fine or a bad row is
# not retried (it would fail the same way) and surfaces in the task result instead.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
RETRY_POLICY: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="challans.issue_challan", **RETRY_POLICY)
def issue_challan(violation_id: int) -> dict[str, Any]:
    challan = services.issue_challan(violation_id)
    return {"violation_id": violation_id, "challan": challan.number if challan else None}


@shared_task(name="challans.send_challan_notices", ignore_result=True, **RETRY_POLICY)
def send_challan_notices(challan_id: int, purpose: str) -> list[str]:
    return [f"{n.channel}:{n.outcome}" for n in notices.send_notices(challan_id, purpose)]


@shared_task(name="challans.issue_missing_challans", **RETRY_POLICY)
def issue_missing_challans() -> dict[str, int]:
    return services.issue_missing_challans()


@shared_task(name="challans.send_due_reminders", **RETRY_POLICY)
def send_due_reminders() -> int:
    return services.send_reminders(timezone.localdate())


@shared_task(name="challans.mark_overdue", **RETRY_POLICY)
def mark_overdue() -> int:
    return services.mark_overdue(timezone.localdate())


@shared_task(name="challans.daily_summary", **RETRY_POLICY)
def daily_summary(day_iso: str | None = None) -> dict[str, str]:
    from datetime import date

    day = date.fromisoformat(day_iso) if day_iso else timezone.localdate()
    return reports.write_daily_summary(day).as_dict()
