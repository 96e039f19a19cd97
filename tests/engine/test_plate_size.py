"""The onboarding estimate of how wide plates appear, against the generator's truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from enforcement.camera_config import CameraConfig
from enforcement.geometry import validate_config
from enforcement.plate_size import (
    MIN_READABLE_PLATE_PX,
    plate_widths_px,
    unreadable_plate_lanes,
)
from fixtures.scenes.camera_json import build_camera_config
from fixtures.scenes.presets import site_for

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


def _widest_true_car_plates_px(preset: str) -> float:
    """The median over cars of the widest each car's plate appears in the sample clip."""
    truth = json.loads((SAMPLES / preset / "truth.json").read_text())
    widest = [
        max(f["plate_box_px"][2] - f["plate_box_px"][0] for f in v["frames"] if f["plate_box_px"])
        for v in truth["vehicles"]
        if v["class"] == "car" and any(f["plate_box_px"] for f in v["frames"])
    ]
    return float(np.median(widest))


@pytest.mark.parametrize("preset", ["highway", "junction", "urban-bus-lane"])
def test_the_estimate_is_a_slight_underestimate_of_the_plates_in_the_clip(preset: str) -> None:
    camera = validate_config(CameraConfig.load(SAMPLES / preset / "camera.json"))

    estimate = max(plate_widths_px(camera).values())

    assert estimate <= _widest_true_car_plates_px(preset) <= 1.3 * estimate


def test_the_highway_camera_at_720p_is_flagged_and_the_junction_camera_is_not() -> None:
    highway = validate_config(CameraConfig.load(SAMPLES / "highway" / "camera.json"))
    junction = validate_config(CameraConfig.load(SAMPLES / "junction" / "camera.json"))

    assert set(unreadable_plate_lanes(highway)) == {"L1", "L2", "L3", "L4"}
    assert all(px < MIN_READABLE_PLATE_PX for px in unreadable_plate_lanes(highway).values())
    assert unreadable_plate_lanes(junction) == {}


@pytest.mark.parametrize("preset", ["highway", "junction", "urban-bus-lane"])
def test_plates_scale_with_resolution_and_4k_makes_the_highway_readable(preset: str) -> None:
    site = site_for(preset)
    widths = {
        resolution: plate_widths_px(
            validate_config(build_camera_config(site, site.camera(resolution), 25.0, 1))
        )
        for resolution in (720, 2160)
    }

    for lane, px in widths[720].items():
        assert widths[2160][lane] == pytest.approx(3 * px, rel=0.02)
    assert min(widths[2160].values()) >= MIN_READABLE_PLATE_PX
