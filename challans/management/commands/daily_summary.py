"""Write the daily summary (CSV + PDF with a chart) under MEDIA_ROOT/reports/daily/."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from tqdm import tqdm

from challans.reports import write_daily_summary


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--days", type=int, default=1, help="this many days ending on --day")

    def handle(self, *args: Any, **options: Any) -> None:
        last = options["day"] or timezone.localdate()
        days = [date.fromordinal(last.toordinal() - n) for n in range(options["days"] - 1, -1, -1)]
        for day in tqdm(days, desc="summaries", unit="day", disable=len(days) < 2):
            summary = write_daily_summary(day)
            self.stdout.write(
                f"{day.isoformat()}: challans issued {summary.issued}, "
                f"Rs {summary.amount_pkr:,}; {summary.csv_name}, {summary.pdf_name} "
                f"({summary.files_written} file(s) written)"
            )
