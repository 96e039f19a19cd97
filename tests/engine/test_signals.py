"""Signal state from the head's lamps (rendered and real) and from a phase log."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from enforcement.signals import (
    AMBER,
    GREEN,
    RED,
    UNKNOWN,
    PhaseLog,
    SignalHeadMonitor,
    SignalLogError,
    classify_lamp,
)

LAMPS = {RED: (40, 40, 255), AMBER: (0, 190, 255), GREEN: (120, 255, 60)}
UNLIT = {RED: (30, 30, 70), AMBER: (25, 60, 80), GREEN: (40, 70, 30)}
REAL_CLIP = Path("/work/shared/data/videos/demo1.mp4")


def head(lit: tuple[str, ...], *, gain: float = 1.0, size: int = 20) -> np.ndarray:
    """A vertical signal head: dark housing, three lamps, the ``lit`` ones glowing."""
    image = np.full((size * 3, size, 3), 25, np.uint8)
    for i, name in enumerate((RED, AMBER, GREEN)):
        colour = LAMPS[name] if name in lit else UNLIT[name]
        centre = (size // 2, size // 2 + i * size)
        cv2.circle(image, centre, size // 3, colour, -1, cv2.LINE_AA)
        if name in lit:
            core = tuple(min(255, int(c * 0.5 + 128)) for c in colour)
            cv2.circle(image, centre, size // 6, core, -1, cv2.LINE_AA)
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("state", [RED, AMBER, GREEN])
def test_it_reads_the_lit_lamp(state: str) -> None:
    assert classify_lamp(head((state,))) == state


@pytest.mark.parametrize("gain", [0.8, 1.0, 1.4])
def test_it_reads_red_under_exposure_changes(gain: float) -> None:
    assert classify_lamp(head((RED,), gain=gain)) == RED


def test_red_and_amber_together_read_as_red() -> None:
    assert classify_lamp(head((RED, AMBER))) == RED


def test_a_dark_head_is_unknown() -> None:
    assert classify_lamp(head(())) == UNKNOWN


def test_it_reads_the_overexposed_red_lamp_of_a_real_camera() -> None:
    if not REAL_CLIP.is_file():
        pytest.skip(f"{REAL_CLIP} is not available")
    capture = cv2.VideoCapture(str(REAL_CLIP))
    for _ in range(60):
        ok, frame = capture.read()
    capture.release()
    assert ok
    # The right-hand head of the real clip, which shows red at this moment.
    assert classify_lamp(frame[12:42, 399:417]) == RED


def frames_of(states: list[str]) -> list[np.ndarray]:
    image = np.zeros((100, 100, 3), np.uint8)
    frames = []
    for state in states:
        frame = image.copy()
        frame[10:70, 10:30] = head(() if state == "dark" else (state,))
        frames.append(frame)
    return frames


def test_monitor_ignores_a_one_frame_glitch() -> None:
    monitor = SignalHeadMonitor((10, 10, 20, 60), confirm_frames=3)
    states = [GREEN] * 5 + [RED] + [GREEN] * 5
    readings = [monitor.update(i * 0.04, f).state for i, f in enumerate(frames_of(states))]
    assert readings[4:] == [GREEN] * 7


def test_monitor_holds_its_state_through_lamp_flicker() -> None:
    monitor = SignalHeadMonitor((10, 10, 20, 60), confirm_frames=3, hold_s=1.0)
    states = [RED] * 6 + ["dark", RED, "dark", "dark", RED] * 3
    readings = [monitor.update(i * 0.04, f) for i, f in enumerate(frames_of(states))]
    assert [r.state for r in readings[3:]] == [RED] * (len(states) - 3)
    # Red began at the first red frame, so time into red grows from frame 0.
    assert readings[-1].time_into_red_s == pytest.approx((len(states) - 1) * 0.04)


def test_monitor_backdates_red_to_its_first_frame() -> None:
    monitor = SignalHeadMonitor((10, 10, 20, 60), confirm_frames=3)
    states = [AMBER] * 10 + [RED] * 10
    readings = [monitor.update(i * 0.04, f) for i, f in enumerate(frames_of(states))]
    assert readings[12].state == RED
    assert readings[12].time_into_red_s == pytest.approx(2 * 0.04)
    assert readings[19].time_into_red_s == pytest.approx(9 * 0.04)


def test_monitor_forgets_the_state_after_a_long_dark_spell() -> None:
    monitor = SignalHeadMonitor((10, 10, 20, 60), confirm_frames=2, hold_s=0.5)
    states = [GREEN] * 5 + ["dark"] * 30
    readings = [monitor.update(i * 0.04, f).state for i, f in enumerate(frames_of(states))]
    assert readings[6] == GREEN
    assert readings[-1] == UNKNOWN


def test_phase_log_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "phases.csv"
    path.write_text("start_s,state\n0,green\n8,yellow\n11,red\n24,green\n", encoding="utf-8")
    log = PhaseLog.load(path)
    assert log.reading_at(5).state == GREEN
    assert log.reading_at(9).state == AMBER
    reading = log.reading_at(12.5)
    assert reading.state == RED and reading.time_into_red_s == pytest.approx(1.5)
    assert log.update(30.0, None).state == GREEN


def test_phase_log_from_json_merges_consecutive_red_rows(tmp_path: Path) -> None:
    path = tmp_path / "phases.json"
    rows = [{"start_s": 0, "state": "red"}, {"start_s": 2, "state": "red"}]
    path.write_text(json.dumps({"phases": rows}), encoding="utf-8")
    assert PhaseLog.load(path).reading_at(3).time_into_red_s == pytest.approx(3)


def test_phase_log_rejects_an_unknown_state(tmp_path: Path) -> None:
    path = tmp_path / "phases.csv"
    path.write_text("start_s,state\n0,blue\n", encoding="utf-8")
    with pytest.raises(SignalLogError, match="row 1"):
        PhaseLog.load(path)
