"""Challans react to approvals announced by the violations app."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from violations.signals import violation_approved


@receiver(violation_approved, dispatch_uid="challans.queue_issue_on_approval")
def queue_challan_on_approval(sender: Any, violation_id: int, **kwargs: Any) -> None:
    from challans.tasks import issue_challan

    transaction.on_commit(lambda: issue_challan.delay(violation_id))
