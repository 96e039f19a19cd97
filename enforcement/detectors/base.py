"""What detectors share: a track's observations, pinned evidence frames and findings."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from enforcement.frames import Frame
from enforcement.signals import SignalReading

# A track keeps at most this many observations; older ones are only needed by the
# speed fit, which keeps its own points.
MAX_OBSERVATIONS = 1500
# No road vehicle moves faster (m/s); a bigger step of a track's ground point is a jump
# (the track switched to a ghost or a neighbour), not motion.
MAX_SPEED_MS = 50.0


@dataclass(frozen=True)
class Observation:
    """One tracked vehicle in one frame. ``ground_m`` is the bottom-centre on the road."""

    frame_index: int
    timestamp_s: float
    xyxy: tuple[float, float, float, float]
    ground_px: tuple[float, float]
    ground_m: tuple[float, float]
    lane_id: str | None
    signal: SignalReading | None = None
    # The box sat right on top of another box: its bottom edge may be a vehicle's
    # upper part, metres above the road (see `enforcement.detection.sits_on_another`).
    stacked: bool = False


def jumped(before: Observation, after: Observation, *, slack_m: float = 1.5) -> bool:
    """Whether the ground point moved between two observations faster than any vehicle."""
    step_m = float(
        np.hypot(after.ground_m[0] - before.ground_m[0], after.ground_m[1] - before.ground_m[1])
    )
    return step_m > MAX_SPEED_MS * (after.timestamp_s - before.timestamp_s) + slack_m


@dataclass(frozen=True)
class PinnedFrame:
    """A full frame kept (by reference) because it proves something about a track."""

    frame: Frame
    xyxy: tuple[float, float, float, float]
    signal: SignalReading | None = None

    @property
    def frame_index(self) -> int:
        return self.frame.index

    @property
    def timestamp_s(self) -> float:
        return self.frame.timestamp_s

    @property
    def captured_at(self) -> datetime:
        return self.frame.captured_at

    @property
    def image(self) -> np.ndarray:
        """The whole frame in BGR (converted on first use: most pins never need it)."""
        return self.frame.image


@dataclass
class TrackHistory:
    """Everything known about one tracked vehicle, updated frame by frame."""

    track_id: int
    observations: deque[Observation] = field(default_factory=lambda: deque(maxlen=MAX_OBSERVATIONS))
    vehicle_class: str = "car"
    pins: dict[str, PinnedFrame] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    # Set by the pipeline before detectors run, so they can pin the current frame.
    current: PinnedFrame | None = None
    speed: SpeedMeasurement | None = None

    @property
    def last(self) -> Observation:
        return self.observations[-1]

    def pin(self, role: str) -> None:
        """Keep the current frame as evidence for ``role`` (replacing an earlier one)."""
        if self.current is not None:
            self.pins[role] = self.current


@dataclass(frozen=True)
class SpeedMeasurement:
    """A track's speed over the measurement zone, from a robust fit."""

    speed_kmh: float
    uncertainty_kmh: float
    points: int
    distance_m: float
    residual_rms_m: float
    average_speed_kmh: float | None = None
    rejected_reason: str = ""

    @property
    def valid(self) -> bool:
        return not self.rejected_reason


@dataclass(frozen=True)
class Finding:
    """A detector's verdict before evidence is written: one violation by one track.

    ``evidence`` pairs a pinned frame's key (see `TrackHistory.pins`) with the role
    it plays as evidence (``before_line``, ``zone_entry``, ``in_lane``, ...).
    """

    kind: str
    track_id: int
    frame_index: int
    timestamp_s: float
    measured: dict[str, Any]
    evidence: tuple[tuple[str, str], ...]


class Detector(Protocol):
    def observe(self, track: TrackHistory) -> list[Finding]:
        """Called after each new observation of a track."""
        ...

    def finish(self, track: TrackHistory) -> list[Finding]:
        """Called once when a track ends (lost or end of stream)."""
        ...
