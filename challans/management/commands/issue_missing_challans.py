"""Issue challans for approved violations that have none (and finish PDF-less ones)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from challans.services import issue_missing_challans


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        counts = issue_missing_challans(
            progress=lambda ids: tqdm(ids, desc="challans", unit="violation", disable=not ids)
        )
        self.stdout.write(
            f"issued {counts['issued']}, needs owner {counts['needs_owner']}, "
            f"PDFs completed {counts['pdf_completed']}, failed {counts['failed']}"
        )
