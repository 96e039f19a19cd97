"""Re-hash every evidence file and report any that is missing or changed.

Exits non-zero when one is; run it from cron and before producing evidence in court.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from violations.evidence_store import sha256_of
from violations.models import Evidence


class Command(BaseCommand):
    help = "Re-hash every evidence file; report mismatches and missing files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--violation", type=int, help="only this violation's evidence")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Evidence.objects.order_by("id").values_list(
            "id", "violation_id", "file", "sha256", "size_bytes"
        )
        if options["violation"]:
            rows = rows.filter(violation_id=options["violation"])
        root = Path(settings.MEDIA_ROOT)
        checked: dict[str, str | None] = {}  # shared files are hashed once
        problems = 0
        count = 0
        for evidence_id, violation_id, name, expected, size_bytes in rows.iterator():
            count += 1
            path = root / name
            if name not in checked:
                checked[name] = sha256_of(path) if path.is_file() else None
            actual = checked[name]
            where = f"evidence {evidence_id} (violation {violation_id}) {name}"
            if actual is None:
                problems += 1
                self.stderr.write(f"MISSING  {where}")
            elif actual != expected:
                problems += 1
                self.stderr.write(f"MISMATCH {where}: recorded {expected}, file has {actual}")
            elif path.stat().st_size != size_bytes:
                problems += 1
                self.stderr.write(f"SIZE     {where}: recorded {size_bytes} bytes")
        summary = f"{count} evidence records, {len(checked)} files checked, {problems} problems"
        if problems:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
