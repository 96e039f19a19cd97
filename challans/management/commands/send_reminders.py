"""Remind owners of unpaid challans due within NIGRAN['REMINDER_DAYS_BEFORE_DUE'] days."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from tqdm import tqdm

from challans.services import send_reminders


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        reminded = send_reminders(
            today, progress=lambda ids: tqdm(ids, desc="reminders", unit="challan", disable=not ids)
        )
        self.stdout.write(f"reminders queued {reminded} (as of {today.isoformat()})")
