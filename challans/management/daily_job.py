"""The shape shared by the daily batch commands: an as-of date, a progress bar, a count."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from tqdm import tqdm


class DailyJobCommand(BaseCommand):
    """Runs ``job(today, progress=...)`` and reports ``done_message`` with its count."""

    progress_label = ""
    done_message = "{count} (as of {today})"

    def job(self, today: date, *, progress: Callable[[list[int]], Iterable[int]]) -> int:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        count = self.job(
            today,
            progress=lambda ids: tqdm(
                ids, desc=self.progress_label, unit="challan", disable=not ids
            ),
        )
        self.stdout.write(self.done_message.format(count=count, today=today.isoformat()))
