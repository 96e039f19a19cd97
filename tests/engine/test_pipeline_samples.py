"""The whole engine on the generator's shipped samples, scored against their truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.detectors import match_tracks, run_scene, score_scene
from enforcement.pipeline import PipelineResult

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
PRESETS = ("junction", "highway", "urban-bus-lane")


@pytest.fixture(scope="module", params=PRESETS)
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = SAMPLES / request.param
    if not (folder / "truth.json").is_file():
        pytest.skip(f"sample {folder} is not rendered")
    result, truth, config = run_scene(folder, tmp_path_factory.mktemp(request.param) / "ev")
    return request.param, result, truth, config


def test_the_violations_found_match_the_truth(sample) -> None:
    preset, result, truth, _ = sample
    score = score_scene(result, truth, tolerance_s=0.5, label=preset)
    assert score.false_speeding == 0, score.notes
    assert not any(score.fp.values()), score.notes
    assert not any(score.fn.values()), score.notes


def test_every_true_speeder_is_booked(sample) -> None:
    _, result, truth, _ = sample
    matches = match_tracks(result.tracks, truth)
    booked = {matches.get(e.track_id) for e in result.events if e.kind == "speeding"}
    speeders = {
        v["id"] for v in truth["vehicles"] if any(x["kind"] == "speeding" for x in v["violations"])
    }
    assert booked == speeders


def test_every_vehicle_crossing_the_zone_is_measured_within_3_kmh(sample) -> None:
    preset, result, truth, _ = sample
    score = score_scene(result, truth, tolerance_s=0.5, label=preset)
    assert score.coverage == 1.0, score.notes
    assert score.max_err <= 3.0, score.notes


def test_events_carry_their_evidence(sample) -> None:
    _, result, truth, config = sample
    assert result.events
    for event in result.events:
        kinds = [e.kind for e in event.evidence]
        assert kinds.count("frame") >= 2 and "clip" in kinds and "plate_frame" in kinds
        assert all(e.path.is_file() and e.path.stat().st_size > 0 for e in event.evidence)
        assert event.occurred_at.tzinfo is not None
        assert event.calibration_version == config.version
        assert event.calibration_error_m is not None and event.calibration_error_m < 0.5
        assert event.boxes and event.plate is None


def test_event_times_come_from_the_clip(sample: tuple[str, PipelineResult, dict, object]) -> None:
    _, result, truth, _ = sample
    from datetime import datetime

    start = datetime.fromisoformat(truth["start_time"])
    duration_s = truth["frame_count"] / truth["fps"]
    for event in result.events:
        assert 0 <= (event.occurred_at - start).total_seconds() <= duration_s
    json.dumps([e.to_dict() for e in result.events])
