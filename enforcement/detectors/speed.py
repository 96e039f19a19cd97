"""Speed over the measurement zone: a robust line fit of road position against time.

Every frame the vehicle's ground-contact point is inside the zone contributes one
point; the speed is the slope of a least-squares fit with outlier rejection over the
whole zone, not a difference of two frames, and comes with a 95 % uncertainty. Tracks
that cannot give a trustworthy figure are rejected (with the reason), never fined.
An average speed between the zone's entry and exit lines (each crossing interpolated
between the frames either side of it) is a second, independent measurement; when
they disagree beyond their uncertainties, the measurement is rejected. So is a figure
whose 95 % interval is wider than 3 km/h (3 % above 100 km/h), the box of a vehicle's
upper part (it sits on its lower body; perspective inflates its speed), and the
pull-away of a queued vehicle whose track began inside the zone. An unmeasured
vehicle is acceptable; a wrong speed is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from enforcement.camera_config import CameraConfig
from enforcement.detectors.base import Finding, SpeedMeasurement, TrackHistory
from enforcement.detectors.site import Segment, Site


@dataclass(frozen=True)
class SpeedSettings:
    min_points: int = 6
    min_coverage: float = 0.6
    max_residual_rms_m: float = 0.6
    min_speed_kmh: float = 3.0
    max_speed_kmh: float = 250.0
    # The two measurements must agree within this (km/h or fraction, the larger).
    max_disagreement_kmh: float = 3.0
    max_disagreement_fraction: float = 0.04
    # A 95 % interval wider than this (km/h or fraction, the larger) is not precise
    # enough to fine anyone, nor to report.
    max_uncertainty_kmh: float = 3.0
    max_uncertainty_fraction: float = 0.03
    # Slower than this over a second is standing in a queue: then the zone's mean
    # speed replaces the straight-line fit.
    stopped_speed_ms: float = 2.0
    # Harder braking or acceleration than this (over 1 s) is a track that jumped.
    max_acceleration_ms2: float = 8.0
    # A box that sat on another box (see `Observation.stacked`) in more than this share
    # of the zone's frames is most likely a vehicle's upper part, which moves with its
    # lower body throughout (a vehicle behind another closes in only for a while).
    max_stacked_fraction: float = 0.5
    # Expected jitter of the ground-contact point, in image pixels: weights the fit.
    ground_sigma_px: float = 2.0


def fit_speed(
    timestamps_s: np.ndarray,
    positions_m: np.ndarray,
    *,
    sigma_m: np.ndarray | None = None,
    iterations: int = 3,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Fit ``position = p0 + v * t`` to (N,) times and (N, 2) positions, rejecting outliers.

    ``sigma_m`` (N,) is each point's expected error: a pixel of box jitter is metres
    far from the camera and centimetres near it, so points are weighted by
    ``1 / sigma_m**2`` and judged as outliers by their residual in those units.

    Returns the velocity (2,) in m/s, the inlier mask (N,), the weighted residual RMS
    (metres) and the standard error of the speed (m/s).
    """
    weights = np.ones(len(timestamps_s)) if sigma_m is None else 1.0 / np.square(sigma_m)
    weights = weights / weights.mean()
    keep = _theil_sen_inliers(timestamps_s, positions_m, np.sqrt(weights))
    velocity = np.zeros(2)
    rms, se = float("inf"), float("inf")
    for _ in range(iterations):
        t, p, w = timestamps_s[keep], positions_m[keep], weights[keep]
        if len(t) < 3:
            break
        t_mean = float((w * t).sum() / w.sum())
        p_mean = (w[:, None] * p).sum(axis=0) / w.sum()
        stt = float((w * (t - t_mean) ** 2).sum())
        if stt <= 0:
            break
        velocity = ((w * (t - t_mean))[:, None] * (p - p_mean)).sum(axis=0) / stt
        predicted = p_mean + np.outer(timestamps_s - t_mean, velocity)
        residual = np.linalg.norm(positions_m - predicted, axis=1)
        scaled = residual * np.sqrt(weights)
        inlier_scaled = scaled[keep]
        rms = float(np.sqrt((inlier_scaled**2).sum() / w.sum()))
        # Residual variance per axis, with two parameters fitted per axis.
        sigma2 = float((inlier_scaled**2).sum()) / max(2 * (len(t) - 2), 1)
        se = float(np.sqrt(sigma2 / stt))
        mad = float(np.median(inlier_scaled))
        new_keep = scaled <= max(3.0 * 1.4826 * mad, 0.25)
        if np.array_equal(new_keep, keep) or new_keep.sum() < 3:
            break
        keep = new_keep
    return velocity, keep, rms, se


def _theil_sen_inliers(
    timestamps_s: np.ndarray, positions_m: np.ndarray, scale: np.ndarray, *, max_points: int = 200
) -> np.ndarray:
    """(N,) points near the Theil-Sen line (median of pairwise slopes, per axis).

    Least squares starts from all points, so two bad boxes among the ten frames a fast
    car spends in a short zone tilt the line before they can be rejected; the median
    of pairwise slopes ignores them.
    """
    n = len(timestamps_s)
    if n < 4:
        return np.ones(n, dtype=bool)
    pick = np.linspace(0, n - 1, min(n, max_points)).round().astype(int)
    t, p = timestamps_s[pick], positions_m[pick]
    i, j = np.triu_indices(len(t), k=1)
    dt = t[j] - t[i]
    valid = dt > 0
    if not valid.any():
        return np.ones(n, dtype=bool)
    slopes = (p[j][valid] - p[i][valid]) / dt[valid, None]
    velocity = np.median(slopes, axis=0)
    intercept = np.median(positions_m - np.outer(timestamps_s, velocity), axis=0)
    residual = np.linalg.norm(positions_m - intercept - np.outer(timestamps_s, velocity), axis=1)
    scaled = residual * scale
    keep = scaled <= max(3.0 * 1.4826 * float(np.median(scaled)), 0.1)
    return keep if keep.sum() >= 3 else np.ones(n, dtype=bool)


def windowed_speeds(
    times_s: np.ndarray, along_m: np.ndarray, window_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Speeds (m/s) of (N,) positions along the road, each over ``window_s`` so that box
    jitter does not dominate; returns the mid times and the speeds (empty if too short)."""
    if len(times_s) < 3:
        return np.zeros(0), np.zeros(0)
    lag = _window_lag(times_s, window_s)
    if len(times_s) <= lag:
        return np.zeros(0), np.zeros(0)
    speed = (along_m[lag:] - along_m[:-lag]) / (times_s[lag:] - times_s[:-lag])
    return (times_s[lag:] + times_s[:-lag]) / 2, speed


def _window_lag(times_s: np.ndarray, window_s: float) -> int:
    """How many frames apart two points ``window_s`` apart are, at the typical step."""
    step_s = float(np.median(np.diff(times_s))) or window_s
    return max(1, round(window_s / step_s))


def starts_and_stops_like_a_vehicle(
    times_s: np.ndarray,
    along_m: np.ndarray,
    max_acceleration_ms2: float,
    stopped_speed_ms: float,
    *,
    window_s: float = 1.0,
    slack_m: float = 1.0,
) -> bool:
    """Whether the track leaves its standstills, and reaches them, no faster than a
    vehicle accelerating or braking at ``max_acceleration_ms2`` could.

    A ghost that a passing car takes over stands still, then is at once at speed: too
    far from where it stood, too soon, for any vehicle that was standing there.
    """
    mid_s, speeds = windowed_speeds(times_s, along_m, window_s)
    standing = np.nonzero(np.abs(speeds) <= stopped_speed_ms / 4)[0]
    if len(standing) == 0:
        return True
    half = window_s / 2
    still_until = mid_s[standing[-1]] + half
    still_from = mid_s[standing[0]] - half
    at_until = float(np.interp(still_until, times_s, along_m))
    at_from = float(np.interp(still_from, times_s, along_m))
    after, before = times_s > still_until, times_s < still_from
    reach_after = 0.5 * max_acceleration_ms2 * (times_s[after] - still_until) ** 2 + slack_m
    reach_before = 0.5 * max_acceleration_ms2 * (still_from - times_s[before]) ** 2 + slack_m
    return bool(
        (np.abs(along_m[after] - at_until) <= reach_after).all()
        and (np.abs(along_m[before] - at_from) <= reach_before).all()
    )


def max_acceleration(times_s: np.ndarray, along_m: np.ndarray, window_s: float = 1.0) -> float:
    """The largest |acceleration| (m/s²) between speeds taken over ``window_s``."""
    mid_s, speed = windowed_speeds(times_s, along_m, window_s)
    if len(speed) == 0:
        return 0.0
    lag = _window_lag(times_s, window_s)
    if len(speed) <= lag:
        return 0.0
    change = (speed[lag:] - speed[:-lag]) / (mid_s[lag:] - mid_s[:-lag])
    return float(np.abs(change).max())


def crossing_time(
    line: Segment, direction: np.ndarray, times_s: np.ndarray, points_m: np.ndarray
) -> float | None:
    """When (N, 2) ground points first pass ``line`` going along ``direction``: the time
    interpolated between the frames either side of it (None if they never do)."""
    crossing = _crossing(line, direction, times_s, points_m)
    return None if crossing is None else crossing[0]


def _crossing(
    line: Segment, direction: np.ndarray, times_s: np.ndarray, points_m: np.ndarray
) -> tuple[float, int] | None:
    """The crossing time and the index of the first point past the line."""
    distances = np.array([line.signed_distance_along(p, direction) for p in points_m])
    for i in range(1, len(distances)):
        if distances[i - 1] < 0 <= distances[i]:
            f = -distances[i - 1] / (distances[i] - distances[i - 1])
            return float(times_s[i - 1] + f * (times_s[i] - times_s[i - 1])), i
    return None


def bracket_offset_m(times_s: np.ndarray, along_m: np.ndarray, i: int, *, frames: int = 5) -> float:
    """The RMS distance (m) of points ``i - 1`` and ``i`` (the two a line crossing is
    interpolated between) from the Theil-Sen line through the ``frames`` points either
    side: a run of boxes that lost their lower part for a few frames (far from the
    camera a bumper strip comes and goes) shifts both the same way, which second
    differences barely see."""
    lo, hi = max(i - frames, 0), min(i + frames, len(times_s))
    t, a = times_s[lo:hi], along_m[lo:hi]
    if len(t) < 4 or i < 1:
        return 0.0
    pairs_i, pairs_j = np.triu_indices(len(t), k=1)
    dt = t[pairs_j] - t[pairs_i]
    valid = dt > 0
    if not valid.any():
        return 0.0
    slope = float(np.median((a[pairs_j] - a[pairs_i])[valid] / dt[valid]))
    intercept = float(np.median(a - slope * t))
    offsets = along_m[i - 1 : i + 1] - (intercept + slope * times_s[i - 1 : i + 1])
    return float(np.sqrt(np.mean(np.square(offsets))))


def jumps(times_s: np.ndarray, along_m: np.ndarray, *, slack_m: float = 0.3) -> np.ndarray:
    """(N - 1,) whether each step between frames is a jump: faster than twice the speed
    of nine steps in ten (where two blobs merged or the track switched vehicles)."""
    dt = np.maximum(np.diff(times_s), 1e-6)
    speeds = np.abs(np.diff(along_m)) / dt
    return speeds * dt > 2.0 * float(np.percentile(speeds, 90)) * dt + slack_m


def line_to_line_speed(
    entry: Segment,
    exit_: Segment,
    direction: np.ndarray,
    times_s: np.ndarray,
    points_m: np.ndarray,
    *,
    margin_frames: int = 3,
) -> tuple[float, float] | None:
    """The average speed (m/s) between crossing ``entry`` and then ``exit_`` along
    ``direction``, and the distance (m) between the lines; None unless both are crossed
    in that order, with no jump of the ground point between them or within
    ``margin_frames`` of either (a jump makes the frames either side of a line two
    different points of the vehicle, or two vehicles).

    The distance is measured along the direction of travel through the middle of the
    path between the crossings, so lines that are not square to the lane still count
    the metres the vehicle drove.
    """
    if len(times_s) < 3:
        return None
    entered = _crossing(entry, direction, times_s, points_m)
    left = _crossing(exit_, direction, times_s, points_m)
    if entered is None or left is None or left[0] <= entered[0]:
        return None
    jumped_at = np.nonzero(jumps(times_s, points_m @ direction))[0] + 1
    first, last = entered[1] - margin_frames, left[1] + margin_frames
    if ((jumped_at >= first) & (jumped_at <= last)).any():
        return None
    between = (times_s >= entered[0]) & (times_s <= left[0])
    centre = points_m[between].mean(axis=0) if between.any() else points_m.mean(axis=0)
    gap_m = entry.signed_distance_along(centre, direction) - exit_.signed_distance_along(
        centre, direction
    )
    if not gap_m > 0:
        return None
    return gap_m / (left[0] - entered[0]), gap_m


@dataclass
class _ZoneTrack:
    times_s: list[float] = field(default_factory=list)
    points_m: list[tuple[float, float]] = field(default_factory=list)
    points_px: list[tuple[float, float]] = field(default_factory=list)
    lanes: list[str | None] = field(default_factory=list)
    stacked: list[bool] = field(default_factory=list)
    # Every ground point from the frame before the zone to the latest one: the frames
    # either side of the entry and exit lines time the line-to-line average.
    path_times_s: list[float] = field(default_factory=list)
    path_points_m: list[tuple[float, float]] = field(default_factory=list)
    measured: bool = False
    # Points already judged insufficient: a brief exit (box jitter at the zone's edge,
    # a blob that lost its lower half for a frame) must not end the measurement.
    tried_points: int = 0


class SpeedDetector:
    """Measures every track crossing the zone; books those above limit + tolerance."""

    def __init__(self, site: Site, config: CameraConfig, settings: SpeedSettings | None = None):
        self.site = site
        self.config = config
        self.settings = settings or SpeedSettings()
        self._zone: dict[int, _ZoneTrack] = {}

    def observe(self, track: TrackHistory) -> list[Finding]:
        if self.site.zone_contour is None:
            return []
        obs = track.last
        state = self._zone.setdefault(track.track_id, _ZoneTrack())
        if state.measured:
            return []
        inside = self.site.in_zone(obs.ground_px)
        if inside and not state.times_s:
            track.pin("zone_entry")
            for before in list(track.observations)[-26:-1]:
                # The last second before the zone: enough to see a jump into it.
                if before.timestamp_s >= obs.timestamp_s - 1.0:
                    state.path_times_s.append(before.timestamp_s)
                    state.path_points_m.append(before.ground_m)
        if state.times_s or inside:
            state.path_times_s.append(obs.timestamp_s)
            state.path_points_m.append(obs.ground_m)
        if inside:
            state.times_s.append(obs.timestamp_s)
            state.points_m.append(obs.ground_m)
            state.points_px.append(obs.ground_px)
            state.lanes.append(obs.lane_id)
            state.stacked.append(obs.stacked)
            track.pin("zone_exit")
            return []
        if len(state.times_s) > state.tried_points:
            return self._measure(track, state, final=False)
        return []

    def finish(self, track: TrackHistory) -> list[Finding]:
        state = self._zone.pop(track.track_id, None)
        if state is None or state.measured or not state.times_s:
            return []
        return self._measure(track, state, final=True)

    def _direction(self, lanes: list[str | None], velocity: np.ndarray) -> np.ndarray:
        known = [lane for lane in lanes if lane is not None]
        if known:
            lane = max(set(known), key=known.count)
            direction = self.site.lane_directions_m[lane]
        else:
            direction = velocity / max(float(np.linalg.norm(velocity)), 1e-9)
        # Measure along the way the vehicle actually goes (wrong-way drivers included).
        return direction if float(direction @ velocity) >= 0 else -direction

    def ground_sigma_m(self, points_px: np.ndarray) -> np.ndarray:
        """(N,) metres that ``ground_sigma_px`` of vertical jitter means at each point."""
        calibration = self.site.camera.calibration
        shifted = points_px + np.array([0.0, self.settings.ground_sigma_px])
        moved = calibration.image_to_road(shifted) - calibration.image_to_road(points_px)
        return np.maximum(np.linalg.norm(moved, axis=1), 0.01)

    def measure(
        self,
        times_s: np.ndarray,
        points_m: np.ndarray,
        lanes: list[str | None],
        points_px: np.ndarray | None = None,
        path: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> SpeedMeasurement:
        """The `SpeedMeasurement` for a track's (N,) times and (N, 2) in-zone points.

        ``path`` (times (M,), points (M, 2)) adds the frames either side of the zone,
        which time the line-to-line average; without it the in-zone points do.
        """
        s = self.settings
        if len(times_s) < s.min_points:
            return SpeedMeasurement(0.0, 0.0, len(times_s), 0.0, 0.0, None, "too few points")
        sigma_m = None if points_px is None else self.ground_sigma_m(points_px)
        velocity, keep, rms, se = fit_speed(times_s, points_m, sigma_m=sigma_m)
        direction = self._direction(lanes, velocity)
        along = points_m[keep] @ direction
        distance_m = float(along.max() - along.min())
        speed_kmh = float(np.linalg.norm(velocity)) * 3.6
        rel_cal = self.site.camera.calibration.reprojection_error_m / max(distance_m, 1.0)
        uncertainty_kmh = 3.6 * float(
            np.hypot(1.96 * se, rel_cal * float(np.linalg.norm(velocity)))
        )
        line_to_line = self._average_speed(*(path or (times_s, points_m)), direction)
        # Seen before the zone and after it: the track did not begin or end inside it.
        seen_through = path is not None and path[0][0] < times_s[0] < times_s[-1] < path[0][-1]
        irregular = rms > s.max_residual_rms_m or speed_kmh < s.min_speed_kmh
        if irregular and seen_through and len(times_s) >= s.min_points:
            # Stop-and-go (a queue at the stop line): no single speed fits, but the mean
            # over the zone is well defined, and never above the highest speed driven.
            mean = self._mean_speed(times_s, points_m, direction, sigma_m, path)
            if mean is not None:
                speed_kmh, uncertainty_kmh, distance_m = mean
                keep = np.ones(len(times_s), dtype=bool)
                rms, irregular = 0.0, False
        reason = ""
        if int(keep.sum()) < s.min_points:
            reason = "too many outliers"
        elif self.site.zone_length_m and distance_m < s.min_coverage * self.site.zone_length_m:
            reason = f"covered only {distance_m:.1f} m of the {self.site.zone_length_m:.1f} m zone"
        elif not seen_through and (
            varied := self._speed_change_kmh(times_s, points_m, direction, sigma_m)
        ):
            # Part of the zone unseen, at a speed that was not steady: the zone's speed
            # (a queue that pulls away: its wait) cannot be told from the part seen.
            reason = (
                f"speed went from {varied[0]:.0f} to {varied[1]:.0f} km/h, "
                "and the track began or ended inside the zone"
            )
        elif rms > s.max_residual_rms_m:
            reason = f"track too irregular (residual {rms:.2f} m)"
        elif speed_kmh > s.max_speed_kmh or (irregular and speed_kmh < s.min_speed_kmh):
            reason = f"implausible speed {speed_kmh:.1f} km/h"
        else:
            reason = self._imprecision(speed_kmh, uncertainty_kmh, line_to_line)
        return SpeedMeasurement(
            round(speed_kmh, 2),
            round(uncertainty_kmh, 2),
            int(keep.sum()),
            round(distance_m, 2),
            round(rms, 3),
            None if line_to_line is None else round(line_to_line[0], 2),
            reason,
        )

    def _imprecision(
        self, speed_kmh: float, uncertainty_kmh: float, line_to_line: tuple[float, float] | None
    ) -> str:
        """Why a plausible figure is still not precise enough to report (empty if it is):
        its 95 % interval is too wide, or the line-to-line average (km/h, 95 %
        uncertainty) disagrees with it beyond the tolerance and both uncertainties."""
        s = self.settings
        if uncertainty_kmh > max(s.max_uncertainty_kmh, s.max_uncertainty_fraction * speed_kmh):
            return f"too uncertain: {speed_kmh:.1f} ± {uncertainty_kmh:.1f} km/h"
        if line_to_line is None:
            return ""
        average_kmh, average_uncertainty_kmh = line_to_line
        allowed_kmh = max(
            s.max_disagreement_kmh,
            s.max_disagreement_fraction * speed_kmh,
            float(np.hypot(uncertainty_kmh, average_uncertainty_kmh)),
        )
        if abs(average_kmh - speed_kmh) > allowed_kmh:
            return f"fit {speed_kmh:.1f} and line-to-line {average_kmh:.1f} km/h disagree"
        return ""

    def _speed_change_kmh(
        self,
        times_s: np.ndarray,
        points_m: np.ndarray,
        direction: np.ndarray,
        sigma_m: np.ndarray | None,
    ) -> tuple[float, float] | None:
        """The speeds (km/h) fitted over the first and the second half of the points if
        they differ by more than the tolerance and their uncertainties (a vehicle
        pulling away or braking, not box jitter at a steady speed); None otherwise."""
        middle = len(times_s) // 2
        if middle < 3:
            return None
        halves = []
        for part in (slice(None, middle), slice(middle, None)):
            velocity, _, _, se = fit_speed(
                times_s[part], points_m[part], sigma_m=None if sigma_m is None else sigma_m[part]
            )
            halves.append((float(velocity @ direction) * 3.6, 3.6 * 1.96 * se))
        (first, first_se), (second, second_se) = halves
        allowed = max(
            self.settings.max_disagreement_kmh,
            self.settings.max_disagreement_fraction * max(abs(first), abs(second)),
            float(np.hypot(first_se, second_se)),
        )
        return (first, second) if abs(first - second) > allowed else None

    def _mean_speed(
        self,
        times_s: np.ndarray,
        points_m: np.ndarray,
        direction: np.ndarray,
        sigma_m: np.ndarray | None,
        path: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[float, float, float] | None:
        """Distance over time between the zone's first and last points: km/h, its 95 %
        uncertainty, and the distance (m); None unless the vehicle stopped on the way
        and moved like a vehicle, on the way into and out of the zone too (``path``).
        Each end is the median of three points, so one bad box at either end does not
        move it."""
        along = points_m @ direction
        _, speeds = windowed_speeds(times_s, along)
        if len(speeds) == 0 or float(np.abs(speeds).min()) > self.settings.stopped_speed_ms:
            # It never stopped: a track that no straight line fits is a bad track.
            return None
        path_s, path_along = (times_s, along) if path is None else (path[0], path[1] @ direction)
        a_max, stopped = self.settings.max_acceleration_ms2, self.settings.stopped_speed_ms
        if max_acceleration(path_s, path_along) > a_max or (
            not starts_and_stops_like_a_vehicle(path_s, path_along, a_max, stopped)
        ):
            # A jump no vehicle can make: the track switched from a ghost or a
            # neighbour to this vehicle, and its mean would mix the two.
            return None
        # Box jitter, from second differences (near zero for any smooth motion).
        jitter_m = 1.4826 * float(np.median(np.abs(np.diff(along, 2)))) / np.sqrt(6.0)
        if jitter_m > self.settings.max_residual_rms_m:
            return None
        end = min(3, len(times_s) // 2)
        t0, t1 = float(np.median(times_s[:end])), float(np.median(times_s[-end:]))
        a0, a1 = float(np.median(along[:end])), float(np.median(along[-end:]))
        if t1 <= t0:
            return None
        distance_m = abs(a1 - a0)
        modelled = 0.3 if sigma_m is None else float(np.hypot(sigma_m[0], sigma_m[-1]))
        sigma = max(modelled, np.sqrt(2.0) * jitter_m)
        rel_cal = self.site.camera.calibration.reprojection_error_m / max(distance_m, 1.0)
        speed_ms = distance_m / (t1 - t0)
        uncertainty_ms = float(np.hypot(1.96 * sigma / (t1 - t0), rel_cal * speed_ms))
        return speed_ms * 3.6, uncertainty_ms * 3.6, distance_m

    def _average_speed(
        self, times_s: np.ndarray, points_m: np.ndarray, direction: np.ndarray
    ) -> tuple[float, float] | None:
        """Line-to-line average speed (km/h) of the path and its 95 % uncertainty, or
        None without both crossings.

        Lanes towards and away from the camera share the zone: whichever of its lines
        the vehicle crosses first is its entry. Each crossing is timed to within the
        ground point's jitter there over the speed, so the uncertainty is that jitter at
        both lines over the distance between them.
        """
        entry, exit_ = self.site.entry_line, self.site.exit_line
        if entry is None or exit_ is None:
            return None
        lines = (entry, exit_)
        average = line_to_line_speed(entry, exit_, direction, times_s, points_m)
        if average is None:
            lines = (exit_, entry)
            average = line_to_line_speed(exit_, entry, direction, times_s, points_m)
        if average is None:
            return None
        speed_ms, gap_m = average
        sigma_in, sigma_out = (
            self._crossing_sigma_m(line, direction, times_s, points_m) for line in lines
        )
        relative = 1.96 * float(np.hypot(sigma_in, sigma_out)) / gap_m
        return speed_ms * 3.6, speed_ms * 3.6 * relative

    def _crossing_sigma_m(
        self,
        line: Segment,
        direction: np.ndarray,
        times_s: np.ndarray,
        points_m: np.ndarray,
        *,
        frames: int = 3,
    ) -> float:
        """How far (m) the ground point is off where it should be at ``line``: the
        modelled pixel jitter there, the jitter seen in the frames around the crossing
        (from second differences, near zero for smooth motion), or how far the two
        frames the crossing is timed between lie off the straight line through their
        neighbours, whichever is largest."""
        crossing = _crossing(line, direction, times_s, points_m)
        i = len(times_s) - 1 if crossing is None else crossing[1]
        near = points_m[max(i - frames, 0) : i + frames]
        modelled = float(
            self.ground_sigma_m(self.site.camera.calibration.road_to_image(near[-1:]))[0]
        )
        if len(near) < 3:
            return modelled
        seen = 1.4826 * float(np.median(np.abs(np.diff(near @ direction, 2)))) / np.sqrt(6.0)
        return max(modelled, seen, bracket_offset_m(times_s, points_m @ direction, i))

    def _measure(self, track: TrackHistory, state: _ZoneTrack, *, final: bool) -> list[Finding]:
        """Measure the points so far; an invalid figure is final only when the track ends."""
        measurement = self.measure(
            np.asarray(state.times_s),
            np.asarray(state.points_m),
            state.lanes,
            np.asarray(state.points_px, dtype=np.float64),
            (np.asarray(state.path_times_s), np.asarray(state.path_points_m)),
        )
        stacked = sum(state.stacked)
        if measurement.valid and stacked > self.settings.max_stacked_fraction * len(state.stacked):
            measurement = replace(
                measurement,
                rejected_reason=f"box sat on another box in {stacked} of {len(state.stacked)} "
                "frames: its bottom edge may be a vehicle's upper part, above the road",
            )
        track.speed = measurement
        state.tried_points = len(state.times_s)
        if not measurement.valid and not final:
            return []
        state.measured = True
        threshold = self.config.enforcement_threshold_kmh
        # Benefit of the doubt: book only when even the low end of the 95 % interval
        # is above the threshold.
        if (
            not measurement.valid
            or measurement.speed_kmh - measurement.uncertainty_kmh <= threshold
        ):
            return []
        if "speeding" in track.fired:
            return []
        track.fired.add("speeding")
        obs = track.last
        measured = {
            "speed_kmh": measurement.speed_kmh,
            "limit_kmh": self.config.speed_limit_kmh,
            "threshold_kmh": threshold,
            "uncertainty_kmh": measurement.uncertainty_kmh,
            "distance_m": measurement.distance_m,
        }
        if measurement.average_speed_kmh is not None:
            measured["average_speed_kmh"] = measurement.average_speed_kmh
        return [
            Finding(
                "speeding",
                track.track_id,
                obs.frame_index,
                obs.timestamp_s,
                measured,
                (("zone_entry", "zone_entry"), ("zone_exit", "zone_exit")),
            )
        ]
