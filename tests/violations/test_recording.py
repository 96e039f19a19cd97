"""Recording engine events: idempotent, with write-once, content-addressed evidence."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.violations.conftest import FRAME_FILES, PLATE_CROP, speeding_event
from violations.evidence_store import (
    EvidenceMismatch,
    EvidenceOverwriteRefused,
    EvidenceSourceMissing,
    WriteOnceStorage,
    store_evidence_file,
)
from violations.models import Evidence, FrozenRecordError, Violation
from violations.services import UnknownCamera, record_violation_event

pytestmark = pytest.mark.django_db


def test_the_same_event_twice_gives_one_violation_with_evidence_stored_once(camera, media_root):
    event = speeding_event()

    first, created_first = record_violation_event(event)
    again, created_again = record_violation_event(speeding_event())

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert Violation.objects.count() == 1
    assert Evidence.objects.count() == 4  # 2 frames, the plate frame, and the plate crop
    stored = sorted(p for p in Path(media_root, "evidence").rglob("*") if p.is_file())
    assert len(stored) == 4


def test_evidence_is_content_addressed_with_its_hash_size_frame_and_time(camera, media_root):
    violation, _ = record_violation_event(speeding_event())

    frame = violation.evidence.get(role="zone_exit")
    source = FRAME_FILES[1]
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert frame.sha256 == sha
    assert frame.file.name == f"evidence/{sha[:2]}/{sha}.jpg"
    assert frame.size_bytes == source.stat().st_size
    assert frame.frame_index == 112
    assert Path(media_root, frame.file.name).read_bytes() == source.read_bytes()
    crop = violation.evidence.get(kind=Evidence.Kind.PLATE_CROP)
    assert crop.sha256 == hashlib.sha256(PLATE_CROP.read_bytes()).hexdigest()
    assert crop.frame_index == 124  # the plate frame's


def test_two_events_sharing_a_frame_share_one_stored_file(camera, media_root):
    record_violation_event(speeding_event(track_id=1))
    record_violation_event(speeding_event(track_id=2))

    assert Violation.objects.count() == 2
    assert Evidence.objects.count() == 8
    assert len([p for p in Path(media_root, "evidence").rglob("*") if p.is_file()]) == 4


def test_it_copies_the_plate_reading_and_denormalises_the_measurement(camera):
    violation, _ = record_violation_event(speeding_event(confidence=0.71))

    assert violation.plate == violation.plate_read == "LEA-6879"
    assert violation.plate_confidence == pytest.approx(0.71)
    assert violation.plate_candidates[1] == ["LEA-6878", 0.41]
    assert (violation.speed_kmh, violation.limit_kmh, violation.lane_id) == (87.3, 60.0, "L2")
    assert violation.calibration_version == "cfg-7"
    assert violation.status == Violation.Status.PENDING
    assert violation.occurred_at.tzinfo is not None


def test_an_unreadable_plate_leaves_the_decided_plate_empty(camera):
    violation, _ = record_violation_event(speeding_event(plate_text="", confidence=0.0))

    assert violation.plate_unreadable
    assert violation.plate == ""


def test_it_rejects_an_unknown_camera_code_with_what_to_do(camera):
    with pytest.raises(UnknownCamera, match="no camera with code 'LHR-999'.*import_camera"):
        record_violation_event(speeding_event("LHR-999"))
    assert Violation.objects.count() == 0


def test_a_missing_evidence_file_rolls_the_violation_back(camera, tmp_path):
    event = speeding_event(frames=(FRAME_FILES[0], tmp_path / "gone.jpg"))

    with pytest.raises(EvidenceSourceMissing, match="gone.jpg"):
        record_violation_event(event)
    assert Violation.objects.count() == 0


def test_the_store_refuses_to_overwrite_or_delete_a_file(media_root):
    stored = store_evidence_file(FRAME_FILES[0])
    storage = WriteOnceStorage()

    with pytest.raises(EvidenceOverwriteRefused):
        storage.save(stored.name, open(FRAME_FILES[1], "rb"))  # noqa: SIM115
    with pytest.raises(EvidenceOverwriteRefused):
        storage.delete(stored.name)
    assert Path(media_root, stored.name).read_bytes() == FRAME_FILES[0].read_bytes()


def test_storing_again_over_a_tampered_file_is_refused(media_root):
    stored = store_evidence_file(FRAME_FILES[0])
    path = Path(media_root, stored.name)
    os.chmod(path, 0o644)
    path.write_bytes(b"not the original frame")

    with pytest.raises(EvidenceMismatch, match="tampered"):
        store_evidence_file(FRAME_FILES[0])


def test_evidence_rows_cannot_be_edited_or_deleted(camera):
    violation, _ = record_violation_event(speeding_event())
    evidence = violation.evidence.first()

    evidence.sha256 = "0" * 64
    with pytest.raises(FrozenRecordError):
        evidence.save()
    with pytest.raises(FrozenRecordError):
        evidence.delete()


def test_measured_values_cannot_be_saved_over(camera):
    violation, _ = record_violation_event(speeding_event())

    violation.speed_kmh = 59.0
    with pytest.raises(FrozenRecordError, match="speed_kmh"):
        violation.save(update_fields=["speed_kmh"])
    with pytest.raises(FrozenRecordError, match="update_fields"):
        violation.save()
    violation.refresh_from_db()
    assert violation.speed_kmh == 87.3


@pytest.mark.django_db(transaction=True)
def test_two_workers_recording_the_same_event_at_once_make_one_violation(camera, monkeypatch):
    """Worker A holds its new row uncommitted; worker B's insert waits, fails, and reuses it."""
    import threading

    from django.db import connection, connections

    from violations import services

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks on the unique index")
    a_inserted, release_a = threading.Event(), threading.Event()
    real_store = services.store_evidence_file

    def store_slowly(path):
        if threading.current_thread().name == "worker-a" and not a_inserted.is_set():
            a_inserted.set()
            release_a.wait(timeout=10)
        return real_store(path)

    monkeypatch.setattr(services, "store_evidence_file", store_slowly)
    results: dict[str, tuple[int, bool]] = {}

    def work(name: str) -> None:
        try:
            violation, created = record_violation_event(speeding_event())
            results[name] = (violation.pk, created)
        finally:
            connections.close_all()

    worker_a = threading.Thread(target=work, args=("a",), name="worker-a")
    worker_a.start()
    assert a_inserted.wait(timeout=10)
    worker_b = threading.Thread(target=work, args=("b",), name="worker-b")
    worker_b.start()
    worker_b.join(timeout=1.0)  # B is now blocked on A's uncommitted unique key
    release_a.set()
    worker_a.join(timeout=10)
    worker_b.join(timeout=10)

    assert results["a"][1] is True and results["b"] == (results["a"][0], False)
    assert Violation.objects.count() == 1
    assert Evidence.objects.count() == 4
