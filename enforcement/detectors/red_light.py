"""Red-light running: the front crosses the stop line, in the lane's direction, on red.

The crossing instant is interpolated between the last frame before the line and the
first past it; the time into red is the signal's red age at that instant. A vehicle
is booked only once it is clearly beyond the line (so one that stops with its nose
over the line is not), only if red had lasted longer than the grace period, and never
in a free-turn lane. A vehicle first seen already past the line crossed before red.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from enforcement.camera_config import CameraConfig
from enforcement.detectors.base import Finding, Observation, TrackHistory
from enforcement.detectors.site import Site
from enforcement.signals import RED

# Typical lengths (metres) of each class: the front of a vehicle driving away from the
# camera is this far beyond its nearest (rear) bumper.
VEHICLE_LENGTH_M = {
    "motorcycle": 1.9,
    "rickshaw": 2.8,
    "car": 4.2,
    "van": 4.4,
    "bus": 11.5,
    "truck": 8.5,
}


@dataclass(frozen=True)
class RedLightSettings:
    # Beyond the line by this much before a crossing counts (nose-over stops do not).
    confirm_past_m: float = 2.0
    # Before the line by at least this much at some frame, so the approach was seen.
    seen_before_m: float = 0.3


@dataclass
class _Approach:
    last_distance_m: float | None = None
    last_obs: Observation | None = None
    seen_before: bool = False
    crossing: tuple[float, float | None, str, str] | None = None  # t, into red, state, lane
    decided: bool = False


class RedLightDetector:
    def __init__(
        self, site: Site, config: CameraConfig, settings: RedLightSettings | None = None
    ) -> None:
        self.site = site
        self.config = config
        self.settings = settings or RedLightSettings()
        self._tracks: dict[int, _Approach] = {}

    def _ground_distance_m(self, obs: Observation, lane: str) -> float:
        """How far the ground-contact point is past the stop line, along the lane."""
        assert self.site.stop_line is not None
        direction = self.site.lane_directions_m[lane]
        return self.site.stop_line.signed_distance_along(np.asarray(obs.ground_m), direction)

    def observe(self, track: TrackHistory) -> list[Finding]:
        if self.site.stop_line is None:
            return []
        state = self._tracks.setdefault(track.track_id, _Approach())
        if state.decided:
            return []
        obs = track.last
        lane = obs.lane_id
        if lane is None or lane not in self.site.stop_line_lanes:
            # Between lanes (or past the painted lanes) keep the last lane's reading.
            lane = state.crossing[3] if state.crossing else None
            if lane is None:
                return []
        distance = self._ground_distance_m(obs, lane)
        if distance < -self.settings.seen_before_m:
            state.seen_before = True
        if distance < 0:
            track.pin("before_line")
            state.crossing = None
        elif (
            state.crossing is None
            and state.seen_before
            and state.last_distance_m is not None
            and state.last_distance_m < 0
            and state.last_obs is not None
        ):
            state.crossing = self._crossing(
                track, state.last_obs, state.last_distance_m, obs, distance, lane
            )
            track.pin("at_line")
        elif state.crossing is not None:
            # The latest frame past the line: a track that ends (leaves the frame) before
            # `confirm_past_m` still has a frame that shows the vehicle beyond the line.
            track.pin("after_line")
        state.last_distance_m, state.last_obs = distance, obs
        if state.crossing is not None and distance >= self.settings.confirm_past_m:
            track.pin("after_line")
            return self._decide(track, state)
        return []

    def finish(self, track: TrackHistory) -> list[Finding]:
        state = self._tracks.pop(track.track_id, None)
        if state is None or state.decided or state.crossing is None:
            return []
        # The track ended soon after the line (it left the frame): book it only if it
        # was clearly past; a nose-over stop at the end of a clip is not a violation.
        if state.last_distance_m is not None and state.last_distance_m >= 1.0:
            return self._decide(track, state)
        return []

    def _crossing(
        self,
        track: TrackHistory,
        before: Observation,
        d_before: float,
        after: Observation,
        d_after: float,
        lane: str,
    ) -> tuple[float, float | None, str, str]:
        """When the front reached the line, the signal then, and the time into red.

        The ground-contact point is the front bumper of traffic coming towards the
        camera. For traffic driving away it is the rear: the front crossed one vehicle
        length earlier, at the current speed (the class's typical length).
        """
        dt = after.timestamp_s - before.timestamp_s
        fraction = -d_before / max(d_after - d_before, 1e-9)
        t_cross = before.timestamp_s + fraction * dt
        if not self.site.lane_approaching[lane] and dt > 0:
            speed_ms = max((d_after - d_before) / dt, 0.5)
            t_cross -= VEHICLE_LENGTH_M.get(track.vehicle_class, 4.2) / speed_ms
        reading = after.signal
        if reading is None:
            return (t_cross, None, "unknown", lane)
        into_red = None
        if reading.state == RED and reading.time_into_red_s is not None:
            into_red = reading.time_into_red_s - (after.timestamp_s - t_cross)
            # The front crossed before this red began: it was not a red crossing.
            if into_red < 0:
                return (t_cross, None, "before red", lane)
        return (t_cross, into_red, reading.state, lane)

    def _decide(self, track: TrackHistory, state: _Approach) -> list[Finding]:
        state.decided = True
        assert state.crossing is not None
        t_cross, into_red, signal_state, lane = state.crossing
        if signal_state != RED or into_red is None or into_red <= self.config.red_grace_s:
            return []
        if self.site.lane_free_turn.get(lane, False) or "red_light" in track.fired:
            return []
        track.fired.add("red_light")
        at_line = track.pins.get("at_line")
        measured = {
            "time_into_red_s": round(into_red, 3),
            "amber_s": self.config.signal.amber_s if self.config.signal else None,
            "lane_id": lane,
        }
        return [
            Finding(
                "red_light",
                track.track_id,
                at_line.frame_index if at_line else track.last.frame_index,
                t_cross,
                measured,
                (
                    ("before_line", "before_line"),
                    ("at_line", "at_line"),
                    ("after_line", "after_line"),
                ),
            )
        ]
