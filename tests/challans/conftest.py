"""Violations with real evidence images, a registry and the fine schedule, via plain ORM."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from challans.models import VehicleRegistration
from challans.sms import LocmemSmsBackend
from enforcement.models import Camera, City
from violations.models import Evidence, Violation

DATA = Path(__file__).resolve().parent.parent / "data" / "challans"
PKT = ZoneInfo("Asia/Karachi")
_track_ids = itertools.count(1)


@pytest.fixture
def media_root(tmp_path: Path, settings, monkeypatch) -> Path:
    """PDFs and evidence in a temporary MEDIA_ROOT (also for a live worker's process)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def outboxes(settings, monkeypatch):
    """In-memory email and SMS outboxes."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "challans.sms.LocmemSmsBackend"
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    from django.core import mail

    mail.outbox = []
    return mail.outbox, LocmemSmsBackend.outbox


@pytest.fixture
def fines(db) -> None:
    call_command("loaddata", "fine_schedule", verbosity=0)


@pytest.fixture
def camera(db) -> Camera:
    lahore, _ = City.objects.get_or_create(code="LHR", defaults={"name": "Lahore"})
    return Camera.objects.create(
        code="LHR-MALL-01",
        name="Mall Road at Regal Chowk",
        city=lahore,
        location="Mall Road at Regal Chowk, Lahore",
        width_px=1280,
        height_px=720,
        fps=25.0,
        speed_limit_kmh=60.0,
    )


def make_registration(plate: str = "LEA-6879", **overrides) -> VehicleRegistration:
    fields = {
        "plate": plate,
        "registration_year": "2008",
        "province": "Punjab",
        "owner_name": "Muhammad Asif Khan",
        "cnic": "3520212345673",
        "address": "House 12, Street 4, Block C, Model Town, Lahore",
        "phone": "03001234567",
        "email": "asif.khan@example.pk",
        "make": "Suzuki Mehran",
        "colour": "White",
        "vehicle_class": "car",
        "fine_class": "car",
        "engine_cc": 800,
    }
    fields.update(overrides)
    return VehicleRegistration.objects.create(**fields)


@pytest.fixture
def registration(db) -> VehicleRegistration:
    return make_registration()


def _evidence(violation: Violation, kind: str, role: str, filename: str, frame: int) -> Evidence:
    data = (DATA / filename).read_bytes()
    evidence = Evidence(
        violation=violation,
        kind=kind,
        role=role,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        frame_index=frame,
        captured_at=violation.occurred_at,
    )
    evidence.file.save(filename, ContentFile(data), save=False)
    evidence.save()
    return evidence


@pytest.fixture
def make_violation(camera: Camera, media_root: Path) -> Callable[..., Violation]:
    """Create an approved speeding violation with two real frames and a plate crop."""

    def make(
        plate: str = "LEA-6879",
        *,
        status: str = Violation.Status.APPROVED,
        kind: str = "speeding",
        occurred_at: datetime | None = None,
        with_evidence: bool = True,
        **fields,
    ) -> Violation:
        violation = Violation.objects.create(
            camera=camera,
            kind=kind,
            occurred_at=occurred_at or datetime(2026, 11, 23, 14, 41, 12, tzinfo=PKT),
            frame_index=120,
            track_id=next(_track_ids),
            vehicle_class=fields.pop("vehicle_class", "car"),
            speed_kmh=fields.pop("speed_kmh", 87.0 if kind == "speeding" else None),
            limit_kmh=fields.pop("limit_kmh", 60.0 if kind == "speeding" else None),
            plate_read=plate,
            plate=plate,
            status=status,
            **fields,
        )
        if with_evidence:
            _evidence(violation, Evidence.Kind.FRAME, "before", "frame_a.jpg", 110)
            _evidence(violation, Evidence.Kind.FRAME, "after", "frame_b.jpg", 130)
            _evidence(violation, Evidence.Kind.PLATE_CROP, "plate", "plate_crop.jpg", 120)
        return violation

    return make
