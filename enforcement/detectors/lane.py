"""Lane discipline: restricted lanes, solid lines and driving against the traffic.

- ``bus_lane``: a vehicle other than a bus drives more than the camera's
  ``restricted_lane_min_distance_m`` along a bus lane; ``no_entry``: any vehicle does
  so in a no-entry lane. Brief excursions (merging, avoiding an obstacle) stay below.
- ``solid_line``: the ground-contact point moves from clearly one side of a solid line
  to clearly the other (a margin on each side absorbs box jitter).
- ``wrong_way``: the vehicle travels more than ``wrong_way_min_m`` against its lane's
  direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from enforcement.camera_config import CameraConfig
from enforcement.detectors.base import Finding, Observation, TrackHistory, jumped
from enforcement.detectors.site import Site


@dataclass(frozen=True)
class LaneSettings:
    line_margin_m: float = 0.2
    wrong_way_min_m: float = 8.0
    # A second track that commits the same violation this soon after, this close to
    # where the first was last seen, is the same vehicle split in two (one event).
    duplicate_window_s: float = 2.0
    duplicate_radius_m: float = 8.0


@dataclass
class _LaneState:
    previous: Observation | None = None
    lane_start_m: dict[str, np.ndarray] = field(default_factory=dict)
    bus_lane: list[Finding] = field(default_factory=list)
    line_side: dict[str, int] = field(default_factory=dict)


class LaneDetector:
    def __init__(self, site: Site, config: CameraConfig, settings: LaneSettings | None = None):
        self.site = site
        self.config = config
        self.settings = settings or LaneSettings()
        self._tracks: dict[int, _LaneState] = {}
        # Where each track was last seen (kept a while after it ends), and who fired what.
        self._last_seen: dict[int, Observation] = {}
        self._fired: list[tuple[str, int]] = []

    def observe(self, track: TrackHistory) -> list[Finding]:
        state = self._tracks.setdefault(track.track_id, _LaneState())
        obs = track.last
        self._last_seen[track.track_id] = obs
        findings: list[Finding] = []
        previous, state.previous = state.previous, obs
        if previous is not None and jumped(previous, obs):
            # The track switched to another blob: the distance driven so far is not
            # this vehicle's.
            state.lane_start_m.clear()
            previous = None
        findings += self._solid_lines(track, state, obs)
        if previous is None or obs.lane_id is None or previous.lane_id != obs.lane_id:
            if obs.lane_id is not None:
                track.pin(f"lane_entry:{obs.lane_id}")
                state.lane_start_m[obs.lane_id] = np.asarray(obs.ground_m)
            return findings
        lane = obs.lane_id
        # Net displacement since entering the lane, not the summed path: box jitter of a
        # vehicle queuing at a red light must not add up to metres.
        start = state.lane_start_m.setdefault(lane, np.asarray(previous.ground_m))
        displacement = np.asarray(obs.ground_m) - start
        along = float(displacement @ self.site.lane_directions_m[lane])
        kind = self.site.lane_kinds[lane]
        restricted_kind = None
        if kind == "no_entry":
            restricted_kind = "no_entry"
        elif kind == "bus":
            restricted_kind = "bus_lane"
        if restricted_kind is not None and abs(along) >= self.config.restricted_lane_min_distance_m:
            fired = self._fire(track, restricted_kind, lane, abs(along))
            if restricted_kind == "bus_lane":
                # Whether it is a bus is best judged from the whole track (a bus far
                # away looks small): decide when the track ends.
                state.bus_lane += fired
            else:
                findings += fired
        if -along >= self.settings.wrong_way_min_m:
            findings += self._fire(track, "wrong_way", lane, -along)
        return findings

    def finish(self, track: TrackHistory) -> list[Finding]:
        self._forget_before(track.last.timestamp_s - self.settings.duplicate_window_s)
        state = self._tracks.pop(track.track_id, None)
        if state is None:
            return []
        if track.vehicle_class == "bus":
            track.fired -= {key for key in track.fired if key.startswith("bus_lane:")}
            return []
        return state.bus_lane

    def _solid_lines(
        self, track: TrackHistory, state: _LaneState, obs: Observation
    ) -> list[Finding]:
        findings: list[Finding] = []
        point = np.asarray(obs.ground_m)
        for line in self.site.solid_lines:
            offset = line.lateral_offset_m(point)
            if offset is None or abs(offset) < self.settings.line_margin_m:
                continue
            side = 1 if offset > 0 else -1
            before = state.line_side.get(line.id)
            state.line_side[line.id] = side
            if before is None:
                track.pin(f"line_side:{line.id}")
                continue
            if before == side:
                track.pin(f"line_side:{line.id}")
                continue
            kind = f"solid_line:{line.id}"
            if kind in track.fired:
                continue
            track.fired.add(kind)
            track.pin("line_crossing")
            findings.append(
                Finding(
                    "solid_line",
                    track.track_id,
                    obs.frame_index,
                    obs.timestamp_s,
                    {"line_id": line.id, "lane_id": obs.lane_id},
                    ((f"line_side:{line.id}", "before_line"), ("line_crossing", "line_crossing")),
                )
            )
        return findings

    def _forget_before(self, timestamp_s: float) -> None:
        for track_id in [t for t, o in self._last_seen.items() if o.timestamp_s < timestamp_s]:
            if track_id not in self._tracks:
                del self._last_seen[track_id]
        self._fired = [(k, t) for k, t in self._fired if t in self._last_seen]

    def _same_vehicle_fired(self, kind: str, track_id: int, obs: Observation) -> bool:
        """Whether another track, just seen close by, already committed ``kind``."""
        s = self.settings
        for fired_kind, other in self._fired:
            seen = self._last_seen.get(other)
            if fired_kind != kind or other == track_id or seen is None:
                continue
            gap_m = float(np.hypot(*(np.asarray(obs.ground_m) - np.asarray(seen.ground_m))))
            if obs.timestamp_s - seen.timestamp_s <= s.duplicate_window_s and (
                gap_m <= s.duplicate_radius_m
            ):
                return True
        return False

    def _fire(self, track: TrackHistory, kind: str, lane: str, distance_m: float) -> list[Finding]:
        key = f"{kind}:{lane}"
        if key in track.fired:
            return []
        track.fired.add(key)
        # Bus-lane findings wait for the track's end (a bus is exempt): not deduplicated.
        if kind != "bus_lane":
            if self._same_vehicle_fired(kind, track.track_id, track.last):
                return []
            self._fired.append((kind, track.track_id))
        track.pin("in_lane")
        obs = track.last
        return [
            Finding(
                kind,
                track.track_id,
                obs.frame_index,
                obs.timestamp_s,
                {"lane_id": lane, "distance_m": round(distance_m, 2)},
                ((f"lane_entry:{lane}", "in_lane"), ("in_lane", "in_lane")),
            )
        ]
