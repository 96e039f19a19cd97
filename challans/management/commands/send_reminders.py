"""Remind owners of unpaid challans due within NIGRAN['REMINDER_DAYS_BEFORE_DUE'] days."""

from __future__ import annotations

from challans.management.daily_job import DailyJobCommand
from challans.services import send_reminders


class Command(DailyJobCommand):
    help = __doc__
    progress_label = "reminders"
    done_message = "reminders queued {count} (as of {today})"
    job = staticmethod(send_reminders)
