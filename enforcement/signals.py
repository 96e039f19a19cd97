"""The signal state at every frame, and how long it has been red.

Two sources: the lit lamp classified from the signal head's ROI (`SignalHeadMonitor`),
or the controller's phase log (`PhaseLog`, CSV or JSON). Both answer `SignalReading`s
through the same ``update(timestamp_s, frame)`` call, so the pipeline need not care.
The frame is a `Frame` or a BGR image.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from enforcement.frames import Frame

RED, AMBER, GREEN, UNKNOWN = "red", "amber", "green", "unknown"
STATES = (RED, AMBER, GREEN)

# A lit lamp is a bright spot with a coloured rim: cameras overexpose its centre to
# near-white, so colour is read from saturated pixels of moderate brightness, and the
# spot's peak brightness tells lit from unlit (an unlit lens is dark but may be
# saturated).
_MIN_COLOUR_VALUE = 100
_MIN_SATURATION = 90
_MIN_PEAK_VALUE = 170
_MIN_LIT_FRACTION = 0.01
_MIN_LIT_PIXELS = 3


class SignalLogError(ValueError):
    """A phase log that cannot be read; the message says which row and why."""


@dataclass(frozen=True)
class SignalReading:
    """The state at one frame; ``time_into_red_s`` is None unless the state is red."""

    state: str
    time_into_red_s: float | None
    state_since_s: float | None


class SignalSource(Protocol):
    def update(self, timestamp_s: float, frame: Frame | np.ndarray | None) -> SignalReading: ...


def classify_lamp(roi_bgr: np.ndarray, layout: str = "vertical") -> str:
    """The colour of the lit lamp in a signal-head crop: red, amber, green or unknown.

    Hue decides the colour; the lamp's position in the head (red on top in a vertical
    head, on the left in a horizontal one) breaks ties between red and amber, whose
    hues overlap when a red LED saturates the sensor.
    """
    if roi_bgr.size == 0:
        return UNKNOWN
    hsv = cv2.cvtColor(roi_bgr, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    if int(val.max()) < _MIN_PEAK_VALUE:
        return UNKNOWN
    lit = (val >= _MIN_COLOUR_VALUE) & (sat >= _MIN_SATURATION)
    red = lit & ((hue <= 8) | (hue >= 165))
    amber = lit & (hue > 8) & (hue <= 32)
    green = lit & (hue >= 40) & (hue <= 100)
    counts = {RED: int(red.sum()), AMBER: int(amber.sum()), GREEN: int(green.sum())}
    state = max(counts, key=lambda k: counts[k])
    if counts[state] < max(_MIN_LIT_PIXELS, _MIN_LIT_FRACTION * lit.size):
        return UNKNOWN
    if state in (RED, AMBER):
        # Position along the head: 0 = first lamp (red), 1 = last lamp (green).
        mask = red | amber
        coords = np.nonzero(mask)
        extent = roi_bgr.shape[0] if layout == "vertical" else roi_bgr.shape[1]
        axis = coords[0] if layout == "vertical" else coords[1]
        position = float(np.mean(axis)) / max(extent, 1)
        if counts[RED] and counts[AMBER]:
            state = RED if position < 0.4 else AMBER
    return state


class SignalHeadMonitor:
    """Classifies the signal head ROI per frame with hysteresis against flicker.

    A new colour is accepted only after ``confirm_frames`` consecutive frames agree;
    frames where no lamp looks lit (LED flicker, exposure swings) keep the last state
    for up to ``hold_s``. When red is accepted, its start is backdated to the first
    frame that saw it, so the time into red is not delayed by the confirmation.
    """

    def __init__(
        self,
        roi_px: tuple[int, int, int, int],
        *,
        layout: str = "vertical",
        confirm_frames: int = 3,
        hold_s: float = 1.0,
    ) -> None:
        self.roi_px = roi_px
        self.layout = layout
        self.confirm_frames = confirm_frames
        self.hold_s = hold_s
        self._state = UNKNOWN
        self._since_s: float | None = None
        self._candidate = UNKNOWN
        self._candidate_since_s = 0.0
        self._candidate_count = 0
        self._last_seen_s: float | None = None

    def update(self, timestamp_s: float, frame: Frame | np.ndarray | None) -> SignalReading:
        observed = UNKNOWN
        if frame is not None:
            x, y, w, h = self.roi_px
            # Only the signal head's pixels: a Frame converts just those to colour.
            roi = (
                frame.region(x, y, x + w, y + h)
                if isinstance(frame, Frame)
                else frame[y : y + h, x : x + w]
            )
            observed = classify_lamp(roi, self.layout)
        if observed == UNKNOWN:
            if self._last_seen_s is not None and timestamp_s - self._last_seen_s > self.hold_s:
                self._state, self._since_s = UNKNOWN, None
            return self._reading(timestamp_s)
        self._last_seen_s = timestamp_s
        if observed == self._state:
            self._candidate_count = 0
        elif observed == self._candidate:
            self._candidate_count += 1
        else:
            self._candidate, self._candidate_since_s, self._candidate_count = (
                observed,
                timestamp_s,
                1,
            )
        if observed != self._state and self._candidate_count >= self.confirm_frames:
            self._state, self._since_s = self._candidate, self._candidate_since_s
            self._candidate_count = 0
        return self._reading(timestamp_s)

    def _reading(self, timestamp_s: float) -> SignalReading:
        into_red = None
        if self._state == RED and self._since_s is not None:
            into_red = timestamp_s - self._since_s
        return SignalReading(self._state, into_red, self._since_s)


@dataclass(frozen=True)
class Phase:
    start_s: float
    state: str


class PhaseLog:
    """The controller's timeline: which state began when (seconds from clip start)."""

    def __init__(self, phases: list[Phase]) -> None:
        if not phases:
            raise SignalLogError("the phase log is empty")
        self.phases = sorted(phases, key=lambda p: p.start_s)
        self._starts = np.array([p.start_s for p in self.phases])

    @classmethod
    def from_rows(cls, rows: list[dict[str, object]]) -> PhaseLog:
        phases = []
        for number, row in enumerate(rows, start=1):
            try:
                start_s = float(row["start_s"])  # type: ignore[arg-type]
                state = str(row["state"]).strip().lower()
            except (KeyError, TypeError, ValueError) as exc:
                raise SignalLogError(f"phase log row {number}: needs start_s and state ({exc})")
            if state == "yellow":
                state = AMBER
            if state not in STATES:
                raise SignalLogError(f"phase log row {number}: unknown state {state!r}")
            phases.append(Phase(start_s, state))
        return cls(phases)

    @classmethod
    def load(cls, path: str | Path) -> PhaseLog:
        """Read ``start_s,state`` rows from a CSV, or a JSON list of such objects."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SignalLogError(f"{path}: not valid JSON: {exc}")
            rows = data["phases"] if isinstance(data, dict) else data
            return cls.from_rows(list(rows))
        return cls.from_rows(list(csv.DictReader(text.splitlines())))

    def reading_at(self, timestamp_s: float) -> SignalReading:
        i = int(np.searchsorted(self._starts, timestamp_s, side="right")) - 1
        if i < 0:
            return SignalReading(UNKNOWN, None, None)
        phase = self.phases[i]
        start_s = phase.start_s
        # Consecutive rows of the same state are one phase.
        while i > 0 and self.phases[i - 1].state == phase.state:
            i -= 1
            start_s = self.phases[i].start_s
        into_red = timestamp_s - start_s if phase.state == RED else None
        return SignalReading(phase.state, into_red, start_s)

    def update(self, timestamp_s: float, frame: Frame | np.ndarray | None) -> SignalReading:
        return self.reading_at(timestamp_s)
