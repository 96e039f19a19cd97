"""Each detector on scripted tracks over the test camera (see conftest)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from enforcement.camera_config import CameraConfig
from enforcement.detectors.base import Finding, Observation, PinnedFrame, TrackHistory
from enforcement.detectors.lane import LaneDetector
from enforcement.detectors.red_light import RedLightDetector
from enforcement.detectors.site import Segment, Site
from enforcement.detectors.speed import (
    SpeedDetector,
    crossing_time,
    fit_speed,
    line_to_line_speed,
)
from enforcement.frames import Frame
from enforcement.geometry import validate_config
from enforcement.signals import GREEN, RED, SignalReading
from tests.engine.conftest import camera_dict, road_to_px

FPS = 25.0
IMAGE = np.zeros((4, 4, 3), np.uint8)


def site_for(config: CameraConfig) -> Site:
    return Site.from_camera(validate_config(config))


def drive(
    detectors: list,
    site: Site,
    path_m: list[tuple[float, float]],
    *,
    signal: list[SignalReading | None] | None = None,
    vehicle_class: str = "car",
    track_id: int = 1,
    stacked: bool = False,
    track: TrackHistory | None = None,
) -> list[Finding]:
    """Feed a track along road positions (one per frame) through the detectors."""
    track = track or TrackHistory(track_id, vehicle_class=vehicle_class)
    findings: list[Finding] = []
    for i, (x_m, y_m) in enumerate(path_m):
        px = road_to_px(x_m, y_m)
        xyxy = (px[0] - 20, px[1] - 40, px[0] + 20, px[1])
        reading = signal[i] if signal else None
        obs = Observation(
            i, i / FPS, xyxy, px, (x_m, y_m), site.lane_at(px), reading, stacked=stacked
        )
        track.observations.append(obs)
        track.current = PinnedFrame(
            Frame(i, i / FPS, datetime(2026, 1, 1, tzinfo=UTC), IMAGE), xyxy
        )
        for detector in detectors:
            findings += detector.observe(track)
    for detector in detectors:
        findings += detector.finish(track)
    return findings


def straight(speed_kmh: float, *, x_m: float = 2.5, y0: float = 48.0, y1: float = 0.0):
    """Constant speed towards the camera, from road y ``y0`` down to ``y1``."""
    step = speed_kmh / 3.6 / FPS
    count = int((y0 - y1) / step)
    return [(x_m, y0 - i * step) for i in range(count)]


# -- speed ---------------------------------------------------------------------------
def test_fit_recovers_speed_despite_noise_and_outliers() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(60) / FPS
    positions = np.column_stack([np.full(60, 2.0), 10 + 20.0 * t]) + rng.normal(0, 0.05, (60, 2))
    positions[[7, 30]] += [0, 3.0]  # two bad boxes
    velocity, keep, rms, se = fit_speed(t, positions)
    assert np.linalg.norm(velocity) == pytest.approx(20.0, abs=0.1)
    assert not keep[7] and not keep[30]
    assert rms < 0.1 and se < 0.05


@pytest.mark.parametrize("speed_kmh", [20.0, 58.0, 64.0, 90.0])
def test_speed_is_measured_over_the_zone(config: CameraConfig, speed_kmh: float) -> None:
    site = site_for(config)
    detector = SpeedDetector(site, config)
    track_findings = drive([detector], site, straight(speed_kmh))
    booked = [f for f in track_findings if f.kind == "speeding"]
    assert bool(booked) == (speed_kmh > config.enforcement_threshold_kmh)


def test_speeding_event_carries_the_measurement(config: CameraConfig) -> None:
    site = site_for(config)
    findings = drive([SpeedDetector(site, config)], site, straight(90.0))
    (event,) = findings
    assert event.measured["speed_kmh"] == pytest.approx(90.0, abs=0.2)
    assert event.measured["limit_kmh"] == 60.0
    assert event.measured["threshold_kmh"] == 65.0
    assert 0 <= event.measured["uncertainty_kmh"] < 1.0
    assert [role for _, role in event.evidence] == ["zone_entry", "zone_exit"]


def test_a_track_that_covers_too_little_of_the_zone_is_rejected(config: CameraConfig) -> None:
    site = site_for(config)
    detector = SpeedDetector(site, config)
    track = TrackHistory(1)
    path = straight(120.0, y0=40.0, y1=30.0)
    findings = drive([detector], site, path)
    assert findings == []
    measurement = detector.measure(np.arange(len(path)) / FPS, np.asarray(path), ["L1"] * len(path))
    assert not measurement.valid and "covered only" in measurement.rejected_reason
    assert track.speed is None


def test_an_erratic_track_is_rejected_not_fined(config: CameraConfig) -> None:
    site = site_for(config)
    rng = np.random.default_rng(1)
    path = [(x, y + rng.normal(0, 2.0)) for x, y in straight(100.0)]
    findings = drive([SpeedDetector(site, config)], site, path)
    assert findings == []


def test_a_brief_exit_at_the_zone_edge_does_not_end_the_measurement(
    config: CameraConfig,
) -> None:
    site = site_for(config)
    path = straight(90.0)
    # One jittery box puts the ground point inside the zone for a frame before it enters.
    first_inside = next(i for i, (_, y) in enumerate(path) if y <= 45.0)
    path[first_inside - 6] = (path[0][0], 44.0)
    findings = drive([SpeedDetector(site, config)], site, path)
    booked = [f for f in findings if f.kind == "speeding"]
    assert len(booked) == 1
    assert booked[0].measured["speed_kmh"] == pytest.approx(90.0, abs=0.5)


def test_two_bad_boxes_among_few_points_do_not_tilt_the_fit() -> None:
    # A fast car crosses a short zone in eleven frames; two boxes reach a metre too far.
    t = np.arange(11) / FPS
    y = 18.0 - 21.3 * t
    y[[1, 3]] -= 0.8
    positions = np.column_stack([np.zeros(11), y])
    velocity, keep, _, _ = fit_speed(t, positions)
    assert np.linalg.norm(velocity) == pytest.approx(21.3, abs=0.1)
    assert keep.tolist() == [True, False, True, False] + [True] * 7


def test_the_fit_trusts_near_points_more_than_far_ones() -> None:
    t = np.arange(40) / FPS
    positions = np.column_stack([np.zeros(40), 40.0 - 25.0 * t])
    sigma_m = np.linspace(1.0, 0.05, 40)  # far (start) to near (end)
    rng = np.random.default_rng(5)
    noisy = positions + np.column_stack([np.zeros(40), rng.normal(0, 1.0, 40) * sigma_m])
    velocity, _, rms, _ = fit_speed(t, noisy, sigma_m=sigma_m)
    assert np.linalg.norm(velocity) == pytest.approx(25.0, abs=0.5)
    assert rms < 0.3


def stop_and_go(speed_kmh: float, *, stop_y: float, wait_s: float) -> list[tuple[float, float]]:
    """Towards the camera from y = 48 m: brakes (3 m/s²) to a stop at ``stop_y``, waits,
    pulls away (2 m/s²) and drives on to y = 0."""
    cruise = speed_kmh / 3.6
    y, v, waited, braking = 48.0, cruise, 0.0, True
    path = []
    while y > 0.0:
        path.append((2.5, y))
        if braking and y - v * v / 6.0 <= stop_y:
            v = max(v - 3.0 / FPS, 0.0)
            braking = v > 0.0
        elif not braking and waited < wait_s:
            waited += 1 / FPS
        else:
            v = min(v + 2.0 / FPS, cruise)
        y -= v / FPS
    return path


def test_a_vehicle_that_queues_in_the_zone_gets_its_mean_speed(config: CameraConfig) -> None:
    site = site_for(config)
    detector = SpeedDetector(site, config)
    path = stop_and_go(30.0, stop_y=25.0, wait_s=3.0)
    drive([detector], site, path)
    times = np.arange(len(path)) / FPS
    inside = [i for i, (_, y) in enumerate(path) if 5.0 <= y <= 45.0]
    expected_kmh = 40.0 / (times[inside[-1]] - times[inside[0]]) * 3.6
    points = np.asarray(path)
    measurement = detector.measure(
        times[inside], points[inside], ["L1"] * len(inside), path=(times, points)
    )
    assert measurement.valid
    assert measurement.speed_kmh == pytest.approx(expected_kmh, abs=1.0)


def test_a_queued_vehicle_first_seen_as_it_pulls_away_is_not_measured(
    config: CameraConfig,
) -> None:
    # Its track begins in the zone, part-way through the wait: the time it stood there
    # before is unknown, and the pull-away alone is not the zone's speed.
    site = site_for(config)
    path = stop_and_go(30.0, stop_y=40.0, wait_s=3.0)
    moving_again = max(i for i in range(1, len(path)) if path[i] == path[i - 1])
    findings = drive([SpeedDetector(site, config)], site, path[moving_again - 5 :])
    assert findings == []
    times = np.arange(len(path)) / FPS
    points = np.asarray(path)
    tail = slice(moving_again - 5, None)
    inside = (points[tail, 1] >= 5.0) & (points[tail, 1] <= 45.0)
    measurement = SpeedDetector(site, config).measure(
        times[tail][inside],
        points[tail][inside],
        ["L1"] * int(inside.sum()),
        path=(times[tail], points[tail]),
    )
    assert not measurement.valid
    assert "began or ended inside the zone" in measurement.rejected_reason


def test_a_track_that_jumps_from_a_standstill_is_not_averaged(config: CameraConfig) -> None:
    # A ghost blob stands in the zone until a passing car takes its track over.
    site = site_for(config)
    path = [(2.5, 30.0)] * 50 + straight(40.0, y0=30.0, y1=0.0)
    times = np.arange(len(path)) / FPS
    measurement = SpeedDetector(site, config).measure(times, np.asarray(path), ["L1"] * len(path))
    assert not measurement.valid


def lined_config() -> CameraConfig:
    """The test camera with the zone's entry line at y = 45 m and exit line at y = 5 m."""
    zone = {
        "polygon_px": [road_to_px(*p) for p in ((0, 5), (10, 5), (10, 45), (0, 45))],
        "entry_line_px": [road_to_px(0, 45), road_to_px(10, 45)],
        "exit_line_px": [road_to_px(0, 5), road_to_px(10, 5)],
    }
    return CameraConfig.from_dict(camera_dict(speed_zone=zone))


TOWARDS_CAMERA = np.array([0.0, -1.0])


def test_a_line_crossing_is_timed_between_the_frames_either_side() -> None:
    line = Segment(np.array([0.0, 45.0]), np.array([10.0, 45.0]))
    times = np.array([0.0, 0.04, 0.08])
    points = np.array([[2.5, 45.6], [2.5, 44.8], [2.5, 44.0]])
    # 0.6 m of the 0.8 m step: three quarters of the way from 0.00 s to 0.04 s.
    assert crossing_time(line, TOWARDS_CAMERA, times, points) == pytest.approx(0.03)


def test_a_jump_of_the_ground_point_next_to_a_line_leaves_no_line_to_line_speed() -> None:
    # The track followed a truck's upper body over the entry line, then its lower body
    # joined the box: the point over the line was metres off the road.
    entry = Segment(np.array([0.0, 45.0]), np.array([10.0, 45.0]))
    exit_ = Segment(np.array([0.0, 5.0]), np.array([10.0, 5.0]))
    path = np.asarray(straight(60.0, y0=48.0))
    path[: np.argmax(path[:, 1] < 44.0), 1] += 10.0
    times = np.arange(len(path)) / FPS
    assert line_to_line_speed(entry, exit_, TOWARDS_CAMERA, times, path) is None


@pytest.mark.parametrize("speed_kmh", [30.0, 90.0, 140.0])
def test_line_to_line_speed_is_the_distance_between_the_lines_over_the_time(
    speed_kmh: float,
) -> None:
    entry = Segment(np.array([0.0, 45.0]), np.array([10.0, 45.0]))
    exit_ = Segment(np.array([0.0, 5.0]), np.array([10.0, 5.0]))
    path = np.asarray(straight(speed_kmh, y0=48.3))
    times = np.arange(len(path)) / FPS
    average = line_to_line_speed(entry, exit_, TOWARDS_CAMERA, times, path)
    assert average is not None
    speed_ms, gap_m = average
    assert gap_m == pytest.approx(40.0)
    assert speed_ms * 3.6 == pytest.approx(speed_kmh, rel=1e-6)


def test_a_track_that_never_reaches_the_exit_line_has_no_line_to_line_speed() -> None:
    entry = Segment(np.array([0.0, 45.0]), np.array([10.0, 45.0]))
    exit_ = Segment(np.array([0.0, 5.0]), np.array([10.0, 5.0]))
    path = np.asarray(straight(90.0, y0=48.0, y1=10.0))
    times = np.arange(len(path)) / FPS
    assert line_to_line_speed(entry, exit_, TOWARDS_CAMERA, times, path) is None


def test_the_speeding_event_carries_the_line_to_line_average() -> None:
    config = lined_config()
    site = site_for(config)
    (event,) = drive([SpeedDetector(site, config)], site, straight(90.0))
    assert event.measured["speed_kmh"] == pytest.approx(90.0, abs=0.2)
    assert event.measured["average_speed_kmh"] == pytest.approx(90.0, abs=0.2)


def test_a_wrong_way_driver_crosses_the_exit_line_first() -> None:
    config = lined_config()
    site = site_for(config)
    detector = SpeedDetector(site, config)
    path = list(reversed(straight(90.0)))
    drive([detector], site, path)
    times = np.arange(len(path)) / FPS
    inside = [i for i, (_, y) in enumerate(path) if 5.0 <= y <= 45.0]
    points = np.asarray(path)
    measurement = detector.measure(
        times[inside], points[inside], ["L1"] * len(inside), path=(times, points)
    )
    assert measurement.average_speed_kmh == pytest.approx(90.0, abs=0.2)


def _measure_between_lines(points: np.ndarray, *, path_time_scale: float = 1.0):
    """Measure ``points`` (one per frame) on the two-line zone y 5–45 m; the whole path,
    its times scaled by ``path_time_scale``, goes to the line-to-line check."""
    config = lined_config()
    detector = SpeedDetector(site_for(config), config)
    times = np.arange(len(points)) / FPS
    inside = (points[:, 1] >= 5.0) & (points[:, 1] <= 45.0)
    return detector.measure(
        times[inside],
        points[inside],
        ["L1"] * int(inside.sum()),
        path=(times * path_time_scale, points),
    )


def test_fit_and_line_to_line_speeds_that_disagree_are_rejected() -> None:
    # The frames either side of the lines were timed 10 % slower than those inside
    # the zone: one of the two measurements is wrong, and neither may be booked.
    measurement = _measure_between_lines(np.asarray(straight(90.0)), path_time_scale=1.1)
    assert not measurement.valid
    assert "line-to-line" in measurement.rejected_reason


def test_flicker_at_a_line_widens_the_line_to_line_uncertainty_instead_of_vetoing() -> None:
    # Far from the camera the box's bottom edge flickers by metres from frame to frame
    # (a bumper strip that comes and goes): the crossing there is timed that loosely.
    points = np.asarray(straight(90.0, y0=50.0))
    near_entry = np.abs(points[:, 1] - 45.0) < 5.0
    points[near_entry, 1] += np.where(np.arange(near_entry.sum()) % 2, 3.0, -3.0)
    measurement = _measure_between_lines(points)
    assert measurement.valid, measurement.rejected_reason
    assert measurement.speed_kmh == pytest.approx(90.0, abs=1.0)


def test_boxes_that_lost_their_lower_part_at_a_line_do_not_veto_the_fit() -> None:
    # For a few frames around the entry line the bumper strip is missing: the ground
    # point sits metres too far, all the same way, so second differences barely see
    # it; the two frames the entry is timed between make the line-to-line 142 km/h.
    points = np.asarray(straight(130.0, y0=52.0))
    first = int(np.argmax(points[:, 1] < 46.0))
    points[first : first + 5, 1] += [1.5, 3.0, 3.5, 3.0, 1.5]
    measurement = _measure_between_lines(points)
    assert measurement.valid, measurement.rejected_reason
    assert measurement.speed_kmh == pytest.approx(130.0, abs=1.5)


def test_a_box_sitting_on_another_box_is_not_measured(config: CameraConfig) -> None:
    # The upper part of a truck that fell apart: its bottom edge is above the road.
    site = site_for(config)
    assert drive([SpeedDetector(site, config)], site, straight(90.0), stacked=True) == []
    assert drive([SpeedDetector(site, config)], site, straight(90.0), stacked=False) != []


# -- red light ----------------------------------------------------------------------
def red_from(start_s: float, count: int) -> list[SignalReading | None]:
    readings: list[SignalReading | None] = []
    for i in range(count):
        t = i / FPS
        if t >= start_s:
            readings.append(SignalReading(RED, t - start_s, start_s))
        else:
            readings.append(SignalReading(GREEN, None, 0.0))
    return readings


def test_crossing_on_red_after_the_grace_is_booked(config: CameraConfig) -> None:
    site = site_for(config)
    path = straight(36.0, y0=50.0)  # 10 m/s: reaches the stop line (30 m) at t = 2 s
    findings = drive([RedLightDetector(site, config)], site, path, signal=red_from(1.0, len(path)))
    (event,) = findings
    assert event.kind == "red_light"
    assert event.measured["time_into_red_s"] == pytest.approx(1.0, abs=0.02)
    assert event.timestamp_s == pytest.approx(2.0, abs=0.02)
    assert [role for _, role in event.evidence] == ["before_line", "at_line", "after_line"]


def test_a_track_that_ends_just_past_the_line_on_red_is_booked_with_a_frame_past_it(
    config: CameraConfig,
) -> None:
    site = site_for(config)
    path = straight(36.0, y0=50.0, y1=28.0)  # lost 1.6 m past the stop line (30 m)
    track = TrackHistory(1, vehicle_class="car")

    (event,) = drive(
        [RedLightDetector(site, config)], site, path, signal=red_from(1.0, len(path)), track=track
    )

    assert [role for _, role in event.evidence] == ["before_line", "at_line", "after_line"]
    before, at, after = (track.pins[key].frame_index for key, _ in event.evidence)
    assert before < at < after == len(path) - 1


def test_crossing_within_the_grace_is_not_booked(config: CameraConfig) -> None:
    site = site_for(config)
    path = straight(36.0, y0=50.0)
    signal = red_from(1.85, len(path))  # 0.15 s into red at the line
    assert drive([RedLightDetector(site, config)], site, path, signal=signal) == []


def test_crossing_on_green_is_not_booked(config: CameraConfig) -> None:
    site = site_for(config)
    path = straight(36.0, y0=50.0)
    assert drive([RedLightDetector(site, config)], site, path, signal=red_from(99, len(path))) == []


def test_a_vehicle_that_stops_before_the_line_is_not_booked(config: CameraConfig) -> None:
    site = site_for(config)
    path = [(2.5, max(50.0 - i * 0.4, 30.8)) for i in range(150)]
    assert drive([RedLightDetector(site, config)], site, path, signal=red_from(0.5, 150)) == []


def test_a_vehicle_that_stops_with_its_nose_over_the_line_is_not_booked(
    config: CameraConfig,
) -> None:
    site = site_for(config)
    path = [(2.5, max(50.0 - i * 0.4, 29.4)) for i in range(150)]
    assert drive([RedLightDetector(site, config)], site, path, signal=red_from(0.5, 150)) == []


def test_a_vehicle_already_past_the_line_at_red_is_not_booked(config: CameraConfig) -> None:
    site = site_for(config)
    path = straight(36.0, y0=29.0)
    assert (
        drive([RedLightDetector(site, config)], site, path, signal=red_from(0.0, len(path))) == []
    )


def test_a_free_turn_lane_is_exempt() -> None:
    data = camera_dict()
    data["lanes"][0]["free_turn"] = True
    config = CameraConfig.from_dict(data)
    site = site_for(config)
    path = straight(36.0, y0=50.0)
    assert (
        drive([RedLightDetector(site, config)], site, path, signal=red_from(1.0, len(path))) == []
    )


# -- lanes --------------------------------------------------------------------------
def test_a_car_in_the_bus_lane_beyond_the_distance_is_booked(config: CameraConfig) -> None:
    site = site_for(config)
    findings = drive([LaneDetector(site, config)], site, straight(30.0, x_m=7.5))
    (event,) = findings
    assert event.kind == "bus_lane"
    assert event.measured["lane_id"] == "L2"
    assert event.measured["distance_m"] >= config.restricted_lane_min_distance_m


def test_a_bus_in_the_bus_lane_is_not_booked(config: CameraConfig) -> None:
    site = site_for(config)
    path = straight(30.0, x_m=7.5)
    assert drive([LaneDetector(site, config)], site, path, vehicle_class="bus") == []


def test_a_short_dip_into_the_bus_lane_is_only_a_solid_line_crossing(config: CameraConfig) -> None:
    site = site_for(config)
    path = [
        (2.5 + 3.5 * np.sin(np.pi * i / 40) if i < 40 else 2.5, 45 - i * 0.3) for i in range(120)
    ]
    kinds = [f.kind for f in drive([LaneDetector(site, config)], site, path)]
    assert kinds == ["solid_line", "solid_line"][: kinds.count("solid_line")]
    assert "bus_lane" not in kinds
    assert kinds


def test_no_entry_lane_books_every_vehicle() -> None:
    data = camera_dict()
    data["lanes"][1]["kind"] = "no_entry"
    config = CameraConfig.from_dict(data)
    site = site_for(config)
    path = straight(30.0, x_m=7.5)
    (event,) = drive([LaneDetector(site, config)], site, path, vehicle_class="bus")
    assert event.kind == "no_entry"


def test_driving_against_the_lane_direction_is_wrong_way(config: CameraConfig) -> None:
    site = site_for(config)
    path = list(reversed(straight(30.0, x_m=2.5)))
    (event,) = drive([LaneDetector(site, config)], site, path)
    assert event.kind == "wrong_way"
    assert event.measured["lane_id"] == "L1"


def test_a_vehicle_split_into_two_tracks_is_booked_once(config: CameraConfig) -> None:
    site = site_for(config)
    detector = LaneDetector(site, config)
    path = list(reversed(straight(30.0, x_m=2.5)))
    # Its blob falls apart: a second track on its lower half, a metre nearer.
    first = drive([detector], site, path[:60], track_id=1)
    second = drive([detector], site, [(x, y - 1.0) for x, y in path[20:]], track_id=2)
    assert [f.kind for f in first + second] == ["wrong_way"]


def test_two_wrong_way_riders_far_apart_are_both_booked(config: CameraConfig) -> None:
    site = site_for(config)
    detector = LaneDetector(site, config)
    path = list(reversed(straight(30.0, x_m=2.5)))
    first = drive([detector], site, path, track_id=1)
    second = drive([detector], site, [(x, y - 20.0) for x, y in path], track_id=2)
    assert len(first) == len(second) == 1


def test_a_track_that_jumps_back_to_a_ghost_is_not_wrong_way(config: CameraConfig) -> None:
    # The car drives off; its track stays on a ghost 20 m up the road it was merged with.
    site = site_for(config)
    path = straight(30.0, y0=30.0, y1=20.0) + [(2.5, 40.0)] * 50
    assert drive([LaneDetector(site, config)], site, path) == []


def test_jitter_of_a_queued_vehicle_is_not_wrong_way(config: CameraConfig) -> None:
    site = site_for(config)
    rng = np.random.default_rng(2)
    path = [(2.5, 20 + rng.normal(0, 0.1)) for _ in range(2000)]
    assert drive([LaneDetector(site, config)], site, path) == []
