"""Challans built directly with the ORM, with real evidence images (see data/README.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from challans.models import Challan, VehicleRegistration
from enforcement.models import Camera, City
from violations.models import Evidence, Violation

DATA = Path(__file__).parent / "data"
OWNER_CNIC = "3520212345671"
OTHER_CNIC = "3520298765432"
_serial = itertools.count(1)


def add_evidence(violation: Violation, kind: str, image: str, frame_index: int) -> Evidence:
    data = (DATA / image).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    evidence = Evidence(
        violation=violation,
        kind=kind,
        role=kind,
        sha256=digest,
        size_bytes=len(data),
        frame_index=frame_index,
        captured_at=violation.occurred_at,
    )
    evidence.file.save(f"{digest}.jpg", ContentFile(data), save=False)
    evidence.save()
    return evidence


def build_challan(
    *,
    plate: str = "LEA-6879",
    cnic: str = OWNER_CNIC,
    kind: str = "speeding",
    amount_pkr: int = 5000,
    issued_days_ago: int = 1,
    due_in_days: int = 9,
    status: str = Challan.Status.ISSUED,
    with_evidence: bool = True,
) -> Challan:
    serial = next(_serial)
    city, _ = City.objects.get_or_create(code="LHR", defaults={"name": "Lahore"})
    camera, _ = Camera.objects.get_or_create(
        code="LHR-MALL-01",
        defaults={
            "name": "Mall Road at Regal Chowk",
            "city": city,
            "location": "Mall Road, Regal Chowk",
            "width_px": 1280,
            "height_px": 720,
            "fps": 25.0,
            "speed_limit_kmh": 60.0,
        },
    )
    registration, _ = VehicleRegistration.objects.get_or_create(
        plate=plate,
        defaults={
            "registration_year": "2008",
            "province": "Punjab",
            "owner_name": "Ayesha Khan",
            "cnic": cnic,
            "address": "12 Canal View, Lahore",
            "make": "Suzuki Mehran",
            "colour": "White",
            "vehicle_class": "car",
            "fine_class": "car",
        },
    )
    now = timezone.now()
    occurred_at = now - dt.timedelta(days=issued_days_ago, hours=2)
    violation = Violation.objects.create(
        camera=camera,
        kind=kind,
        occurred_at=occurred_at,
        frame_index=100 + serial,
        track_id=serial,
        vehicle_class="car",
        speed_kmh=87.4 if kind == "speeding" else None,
        limit_kmh=60.0 if kind == "speeding" else None,
        time_into_red_s=2.4 if kind == "red_light" else None,
        plate_read=plate,
        plate=plate,
        status=Violation.Status.CHALLAN_ISSUED,
    )
    if with_evidence:
        add_evidence(violation, Evidence.Kind.FRAME, "roadside_frame.jpg", 1)
        add_evidence(violation, Evidence.Kind.FRAME, "roadside_frame_2.jpg", 2)
        add_evidence(violation, Evidence.Kind.PLATE_CROP, "plate_LEA-6879.jpg", 2)
    issued_at = now - dt.timedelta(days=issued_days_ago)
    return Challan.objects.create(
        number=f"PSCA-LHR-2026-{serial:06d}",
        violation=violation,
        registration=registration,
        city_code="LHR",
        plate=plate,
        owner_cnic=cnic,
        fine_class="car",
        amount_pkr=amount_pkr,
        issued_at=issued_at,
        due_date=timezone.localdate(issued_at) + dt.timedelta(days=due_in_days + issued_days_ago),
        status=status,
        psid=f"{26_000_000_000_000_000 + serial:017d}",
    )


def look_up(client: Any, plate: str, cnic: str, **extra: Any) -> Any:
    return client.post("/", {"by": "vehicle", "v-plate": plate, "v-cnic": cnic}, **extra)
