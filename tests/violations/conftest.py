"""Cities, cameras, staff in their roles, and engine events with real evidence images."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from enforcement.events import EvidenceFile, PlateReading, ViolationEvent
from enforcement.models import Camera, City, StaffProfile
from violations.roles import OPERATOR, SUPERVISOR, WARDEN
from violations.signals import violation_approved

FRAMES_DIR = Path(__file__).resolve().parent.parent / "data" / "frames"
FRAME_FILES = (
    FRAMES_DIR / "site01_clipB_frame_000011.jpg",
    FRAMES_DIR / "site01_clipB_frame_000013.jpg",
    FRAMES_DIR / "site01_clipA_frame_000021.jpg",
)
PLATE_CROP = FRAMES_DIR / "plate_Punjab-Plates_p_3.jpg"  # a real Punjab plate, LEA-6879
T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NIGRAN_SECOND_REVIEW = {
        "min_fine_pkr": None,
        "max_plate_confidence": 0.8,
        "corrected_plate": True,
    }
    settings.NIGRAN_REGISTRY_LOOKUP = None
    settings.NIGRAN_FINE_LOOKUP = None
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def isolated_approval_receivers() -> Iterator[None]:
    """Test the violations contract alone: the challans receiver is the challans tests' job."""
    disconnected = violation_approved.disconnect(dispatch_uid="challans.queue_issue_on_approval")
    yield
    if disconnected:
        from challans.receivers import queue_challan_on_approval

        violation_approved.connect(
            queue_challan_on_approval, dispatch_uid="challans.queue_issue_on_approval"
        )


@pytest.fixture
def approvals() -> Iterator[list[int]]:
    """Violation ids whose approval was announced, appended only when the transaction commits."""
    committed: list[int] = []

    def on_approved(sender: Any, violation_id: int, **kwargs: Any) -> None:
        # Round-trip through JSON, as a task argument would be.
        payload = json.loads(json.dumps({"violation_id": violation_id}))
        transaction.on_commit(lambda: committed.append(payload["violation_id"]))

    violation_approved.connect(on_approved, dispatch_uid="tests.violations.approvals")
    yield committed
    violation_approved.disconnect(dispatch_uid="tests.violations.approvals")


@pytest.fixture
def lahore(db: None) -> City:
    return City.objects.create(code="LHR", name="Lahore")


@pytest.fixture
def rawalpindi(db: None) -> City:
    return City.objects.create(code="RWP", name="Rawalpindi")


def make_camera(city: City, code: str) -> Camera:
    return Camera.objects.create(
        code=code,
        name=f"{code} Ferozepur Road",
        city=city,
        location="Ferozepur Road near Kalma Chowk",
        width_px=1280,
        height_px=720,
        fps=25.0,
        speed_limit_kmh=60.0,
        reprojection_error_m=0.12,
        config_version="cfg-7",
    )


@pytest.fixture
def camera(lahore: City) -> Camera:
    return make_camera(lahore, "LHR-001")


@pytest.fixture
def other_camera(rawalpindi: City) -> Camera:
    return make_camera(rawalpindi, "RWP-001")


def make_staff(username: str, role: str, *cities: City, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username, password="pw-" + username, is_staff=True, is_superuser=superuser
    )
    user.groups.add(Group.objects.get(name=role))
    StaffProfile.objects.create(user=user).cities.set(cities)
    return user


@pytest.fixture
def warden(lahore: City) -> User:
    return make_staff("warden_ali", WARDEN, lahore)


@pytest.fixture
def warden2(lahore: City) -> User:
    return make_staff("warden_sana", WARDEN, lahore)


@pytest.fixture
def supervisor(lahore: City) -> User:
    return make_staff("supervisor_imran", SUPERVISOR, lahore)


@pytest.fixture
def supervisor2(lahore: City) -> User:
    return make_staff("supervisor_hina", SUPERVISOR, lahore)


@pytest.fixture
def rawalpindi_warden(rawalpindi: City) -> User:
    return make_staff("warden_rwp", WARDEN, rawalpindi)


@pytest.fixture
def operator(lahore: City) -> User:
    return make_staff("operator_omar", OPERATOR, lahore)


def speeding_event(
    camera_code: str = "LHR-001",
    *,
    track_id: int = 7,
    occurred_at: datetime = T0,
    confidence: float = 0.93,
    plate_text: str = "LEA-6879",
    frames: tuple[Path, ...] = FRAME_FILES,
    crop: Path | None = PLATE_CROP,
) -> ViolationEvent:
    roles = ("zone_entry", "zone_exit", "plate")
    evidence = tuple(
        EvidenceFile(
            kind="frame" if i < 2 else "plate_frame",
            role=roles[i % 3],
            path=path,
            frame_index=100 + 12 * i,
            captured_at=occurred_at + timedelta(seconds=0.48 * i),
        )
        for i, path in enumerate(frames)
    )
    plate = PlateReading(
        text=plate_text,
        confidence=confidence,
        unreadable=not plate_text,
        format="punjab_district",
        province="punjab",
        year="08",
        candidates=((plate_text, confidence), ("LEA-6878", 0.41)) if plate_text else (),
        crop_path=crop,
    )
    return ViolationEvent(
        kind="speeding",
        camera_code=camera_code,
        track_id=track_id,
        occurred_at=occurred_at,
        frame_index=112,
        measured={"speed_kmh": 87.3, "limit_kmh": 60.0, "uncertainty_kmh": 1.4, "lane_id": "L2"},
        vehicle_class="car",
        evidence=evidence,
        plate=plate,
        calibration_version="cfg-7",
        calibration_error_m=0.12,
    )


@pytest.fixture
def make_event() -> Callable[..., ViolationEvent]:
    return speeding_event
