"""The hand-drawn configurations of the real clips, and the engine on the clips."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from enforcement.camera_config import CameraConfig
from enforcement.geometry import validate_config
from enforcement.pipeline import run_pipeline
from enforcement.video import open_source

CAMERAS = Path(__file__).resolve().parents[1] / "data" / "cameras"
VIDEOS = Path("/work/shared/data/videos")


@pytest.mark.parametrize("name", ["demo1", "demo4"])
def test_the_hand_drawn_configuration_validates(name: str) -> None:
    config = CameraConfig.load(CAMERAS / name / "camera.json")
    camera = validate_config(config)
    assert camera.calibration.reprojection_error_m <= config.max_reprojection_error_m


@pytest.mark.parametrize("name", ["demo1", "demo4"])
def test_the_engine_runs_a_real_clip_to_the_end(name: str, tmp_path: Path) -> None:
    clip = VIDEOS / f"{name}.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} is not available")
    config = CameraConfig.load(CAMERAS / name / "camera.json")
    source = open_source(
        clip, start_time=datetime(2026, 1, 1, tzinfo=UTC), expected_size=config.resolution
    )
    result = run_pipeline(source, config, out_dir=tmp_path)
    assert result.stats.frames == source.stats.frames > 250
    assert result.stats.corrupt_frames == 0
    assert result.tracks, "a real clip with traffic must give tracks"
    for track in result.tracks:
        assert track.last_frame >= track.first_frame
