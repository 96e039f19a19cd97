"""Mark unpaid challans past their due date overdue and apply the late fee."""

from __future__ import annotations

from challans.management.daily_job import DailyJobCommand
from challans.services import mark_overdue


class Command(DailyJobCommand):
    help = __doc__
    progress_label = "overdue"
    done_message = "marked overdue {count} (as of {today})"
    job = staticmethod(mark_overdue)
