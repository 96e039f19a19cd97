"""End to end on a shipped sample: import the camera, process the clip, review in admin."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from enforcement.camera_config import CameraConfig
from enforcement.camera_services import camera_to_config
from violations.models import ReviewDecision, Violation

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "urban-bus-lane"


@pytest.fixture
def imported_camera(lahore):
    call_command("import_camera", str(SAMPLE / "camera.json"), verbosity=0)
    return CameraConfig.load(SAMPLE / "camera.json")


def _truth_kinds() -> set[str]:
    truth = json.loads((SAMPLE / "truth.json").read_text())
    return {v["kind"] for vehicle in truth["vehicles"] for v in vehicle["violations"]}


@pytest.mark.slow
def test_process_video_records_the_samples_violations_with_hashed_evidence(
    imported_camera, media_root, warden, client
):
    truth = json.loads((SAMPLE / "truth.json").read_text())

    call_command(
        "process_video",
        str(SAMPLE / "clip.mp4"),
        camera=imported_camera.code,
        start_time=truth["start_time"],
        no_ocr=True,
        verbosity=0,
    )

    violations = list(Violation.objects.prefetch_related("evidence"))
    assert {v.kind for v in violations} == _truth_kinds()
    for violation in violations:
        assert violation.calibration_version == imported_camera.version
        kinds = {e.kind for e in violation.evidence.all()}
        assert {"frame", "clip"} <= kinds
        for evidence in violation.evidence.all():
            data = Path(evidence.file.path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == evidence.sha256

    # Processing the same clip again records nothing new.
    call_command(
        "process_video",
        str(SAMPLE / "clip.mp4"),
        camera=imported_camera.code,
        start_time=truth["start_time"],
        no_ocr=True,
        verbosity=0,
    )
    assert Violation.objects.count() == len(violations)

    client.force_login(warden)
    violation = violations[0]
    response = client.get(f"/admin/violations/violation/{violation.pk}/change/")
    assert response.status_code == 200


def test_import_camera_round_trips_through_the_models(imported_camera):
    from enforcement.models import Camera

    camera = Camera.objects.get(code=imported_camera.code)

    assert camera_to_config(camera).version == imported_camera.version


def test_import_camera_rejects_a_self_intersecting_lane(lahore, tmp_path):
    data = json.loads((SAMPLE / "camera.json").read_text())
    (x1, y1), (x2, y2), (x3, y3), (x4, y4), *_ = data["lanes"][0]["polygon_px"]
    data["lanes"][0]["polygon_px"] = [[x1, y1], [x3, y3], [x2, y2], [x4, y4]]
    bad = tmp_path / "camera.json"
    bad.write_text(json.dumps(data))

    with pytest.raises(CommandError, match="(?i)self-intersect|invalid|valid"):
        call_command("import_camera", str(bad), verbosity=0)


def test_process_video_refuses_a_corrupt_clip(imported_camera, tmp_path):
    corrupt = tmp_path / "clip.mp4"
    corrupt.write_bytes(b"\x00not a video" * 1000)

    with pytest.raises(CommandError):
        call_command("process_video", str(corrupt), camera=imported_camera.code, no_ocr=True)
    assert not ReviewDecision.objects.exists()
    assert not Violation.objects.exists()


def test_import_camera_warns_when_plates_will_be_too_small_to_read(lahore):
    highway = SAMPLE.parent / "highway" / "camera.json"
    out = io.StringIO()

    call_command("import_camera", str(highway), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("LHR-HWY-01: imported")
    warnings = [line for line in lines if "plates appear at most" in line]
    assert [w.split(":")[1].strip() for w in warnings] == [
        "lane L1",
        "lane L2",
        "lane L3",
        "lane L4",
    ]
    assert all("~27 px" in w for w in warnings)


def test_import_camera_does_not_warn_for_a_camera_that_reads_plates(lahore):
    out = io.StringIO()

    call_command("import_camera", str(SAMPLE / "camera.json"), stdout=out)

    assert "plates appear" not in out.getvalue()
