"""Announcements the violations app makes; other apps subscribe (violations imports none)."""

from django.dispatch import Signal

# Sent inside the approving transaction with `violation_id`; receivers queue work on_commit.
violation_approved = Signal()
