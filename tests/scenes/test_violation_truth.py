"""Truth violations follow the rules documented in fixtures.scenes.truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enforcement.camera_config import CameraConfig
from enforcement.events import VIOLATION_KINDS
from fixtures.scenes.presets import PRESETS
from tests.scenes.conftest import SAMPLES


def _sample(preset: str) -> tuple[CameraConfig, dict[str, Any]]:
    folder = SAMPLES / preset
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return CameraConfig.load(folder / "camera.json"), truth


def _kinds(vehicle: dict[str, Any]) -> list[str]:
    return [v["kind"] for v in vehicle["violations"]]


@pytest.mark.parametrize("preset", PRESETS)
def test_speeding_is_booked_iff_the_zone_speed_beats_the_threshold(preset: str) -> None:
    camera, truth = _sample(preset)
    threshold = camera.enforcement_threshold_kmh
    assert truth["enforcement_threshold_kmh"] == threshold
    for vehicle in truth["vehicles"]:
        speed = vehicle["zone_speed_kmh"]
        expected = vehicle["crosses_zone"] and speed is not None and speed > threshold
        assert ("speeding" in _kinds(vehicle)) == expected, vehicle["id"]


@pytest.mark.parametrize("preset", PRESETS)
def test_red_light_is_booked_iff_front_crosses_after_the_grace_outside_free_turns(
    preset: str,
) -> None:
    camera, truth = _sample(preset)
    free = {lane.id for lane in camera.lanes if lane.free_turn}
    for vehicle in truth["vehicles"]:
        crossing = vehicle["stop_line_crossing"]
        booked = "red_light" in _kinds(vehicle)
        if crossing is None:
            assert not booked
            continue
        frame = next((f for f in vehicle["frames"] if f["index"] == crossing["frame"]), None)
        lane = frame["lane"] if frame else None
        into = crossing["time_into_red_s"]
        expected = into is not None and into > camera.red_grace_s and lane not in free
        assert booked == expected, vehicle["id"]
        assert truth["frames"][crossing["frame"]]["signal"] == crossing["signal"]


@pytest.mark.parametrize("preset", PRESETS)
def test_violations_are_known_kinds_at_frames_inside_the_clip(preset: str) -> None:
    _, truth = _sample(preset)
    for vehicle in truth["vehicles"]:
        for violation in vehicle["violations"]:
            assert violation["kind"] in VIOLATION_KINDS
            assert 0 <= violation["frame"] < truth["frame_count"]
            assert violation["timestamp_s"] == pytest.approx(violation["frame"] / truth["fps"])
        if vehicle["class"] == "bus":
            assert "bus_lane" not in _kinds(vehicle)


@pytest.mark.parametrize("preset", PRESETS)
def test_restricted_lane_bookings_cover_the_minimum_distance(preset: str) -> None:
    camera, truth = _sample(preset)
    kinds = {lane.id: lane.kind for lane in camera.lanes}
    for vehicle in truth["vehicles"]:
        for violation in vehicle["violations"]:
            if violation["kind"] in ("bus_lane", "no_entry"):
                value = violation["value"]
                assert (
                    kinds[value["lane_id"]]
                    == {"bus_lane": "bus", "no_entry": "no_entry"}[violation["kind"]]
                )
                assert value["distance_m"] >= camera.restricted_lane_min_distance_m
            if violation["kind"] == "solid_line":
                styles = {line.id: line.style for line in camera.lane_lines}
                assert styles[violation["value"]["line_id"]] == "solid"


def test_samples_hold_a_mix_of_violations_and_clean_passages() -> None:
    kinds: set[str] = set()
    clean = 0
    for preset in PRESETS:
        _, truth = _sample(preset)
        for vehicle in truth["vehicles"]:
            kinds.update(_kinds(vehicle))
            clean += not vehicle["violations"]
    assert kinds == set(VIOLATION_KINDS)
    assert clean >= 10


def test_highway_sample_has_a_near_threshold_vehicle_that_is_not_booked() -> None:
    camera, truth = _sample("highway")
    near = [
        v
        for v in truth["vehicles"]
        if v["crosses_zone"]
        and camera.speed_limit_kmh < v["zone_speed_kmh"] <= camera.enforcement_threshold_kmh
    ]
    assert near and all("speeding" not in _kinds(v) for v in near)


def test_samples_exist_small_and_load_as_camera_config() -> None:
    for preset in PRESETS:
        folder = SAMPLES / preset
        clip = folder / "clip.mp4"
        assert clip.stat().st_size <= 6 * 1024 * 1024
        camera = CameraConfig.load(folder / "camera.json")
        assert camera.city == "LHR" and camera.code.startswith("LHR-")
        assert (camera.stop_line is not None) == (preset == "junction")
        assert camera.speed_zone is not None and camera.speed_zone.entry_line_px is not None
    assert Path(SAMPLES / "README.md").exists()
