"""Import (insert or update by plate) an Excise registry CSV export.

Columns (header row required): plate, registration_year, province, owner_name, cnic,
address, phone, email, make, colour, vehicle_class, engine_cc; optional fine_class
(derived from vehicle_class and engine_cc when blank). Re-importing a file changes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from challans.fines import UnknownVehicleClass, fine_class_for
from challans.models import VehicleRegistration
from challans.registry import normalise_plate

REQUIRED = (
    "plate", "registration_year", "province", "owner_name", "cnic", "address", "phone",
    "email", "make", "colour", "vehicle_class", "engine_cc",
)  # fmt: skip


def registration_fields(row: dict[str, str]) -> dict[str, Any]:
    """Clean one CSV row into model fields; raises ValueError naming the bad value."""
    cnic = "".join(ch for ch in row["cnic"] if ch.isdigit())
    if len(cnic) != 13:
        raise ValueError(f"CNIC {row['cnic']!r} must have 13 digits")
    engine = row["engine_cc"].strip()
    engine_cc = int(engine) if engine else None
    vehicle_class = row["vehicle_class"].strip().lower()
    try:
        fine_class = (row.get("fine_class") or "").strip() or fine_class_for(
            vehicle_class, engine_cc
        )
    except UnknownVehicleClass as exc:
        raise ValueError(str(exc))
    return {
        "plate": normalise_plate(row["plate"]),
        "registration_year": row["registration_year"].strip(),
        "province": row["province"].strip(),
        "owner_name": row["owner_name"].strip(),
        "cnic": cnic,
        "address": row["address"].strip(),
        "phone": row["phone"].strip(),
        "email": row["email"].strip(),
        "make": row["make"].strip(),
        "colour": row["colour"].strip(),
        "vehicle_class": vehicle_class,
        "fine_class": fine_class,
        "engine_cc": engine_cc,
    }


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["csv_path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = list(reader)
        counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        for line, row in enumerate(tqdm(rows, desc="registry", unit="row"), start=2):
            try:
                fields = registration_fields(row)
                instance = VehicleRegistration(**fields)
                instance.full_clean(validate_unique=False)
            except (ValueError, ValidationError) as exc:
                counts["rejected"] += 1
                self.stderr.write(f"line {line}: {exc}")
                continue
            counts[self._upsert(fields)] += 1
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))

    @transaction.atomic
    def _upsert(self, fields: dict[str, Any]) -> str:
        current = (
            VehicleRegistration.objects.select_for_update().filter(plate=fields["plate"]).first()
        )
        if current is None:
            VehicleRegistration.objects.create(**fields)
            return "created"
        changed = [name for name, value in fields.items() if getattr(current, name) != value]
        if not changed:
            return "unchanged"
        for name in changed:
            setattr(current, name, fields[name])
        current.save(update_fields=changed)
        return "updated"
