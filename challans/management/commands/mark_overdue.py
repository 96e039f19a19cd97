"""Mark unpaid challans past their due date overdue and apply the late fee."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from tqdm import tqdm

from challans.services import mark_overdue


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        marked = mark_overdue(
            today, progress=lambda ids: tqdm(ids, desc="overdue", unit="challan", disable=not ids)
        )
        self.stdout.write(f"marked overdue {marked} (as of {today.isoformat()})")
