"""Evidence frames, data bar and write-once files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from enforcement.evidence import (
    DataBar,
    EvidenceFrame,
    EvidenceWriteError,
    draw_data_bar,
    write_event_evidence,
)

WHEN = datetime(2026, 11, 24, 3, 30, 5, 123456, tzinfo=UTC)


def test_the_data_bar_shows_karachi_time_to_the_millisecond() -> None:
    bar = DataBar("LHR-JUNC-01", "The Mall", "red_light", limit_kmh=60)
    first, facts = bar.lines(WHEN, 1234, "red", 1.234)
    assert "2026-11-24 08:30:05.123 PKT" in first
    assert "frame 1234" in first and "LHR-JUNC-01" in first
    assert "RED LIGHT" in facts and "signal red  1.23 s into red" in facts
    assert "limit 60 km/h" in facts


def test_the_data_bar_is_drawn_below_the_frame() -> None:
    image = np.full((120, 200, 3), 90, np.uint8)
    frame = EvidenceFrame("at_line", 7, WHEN, image, (10, 10, 50, 50), "red", 0.5)
    out = draw_data_bar(image, DataBar("C", "L", "speeding", speed_kmh=80.0), frame)
    assert out.shape[0] > image.shape[0] and out.shape[1] == image.shape[1]
    assert out[image.shape[0] :].max() == 255  # white text on the black bar
    assert np.array_equal(image, np.full((120, 200, 3), 90, np.uint8))  # input untouched


def test_evidence_is_written_once(tmp_path: Path) -> None:
    image = np.full((120, 200, 3), 90, np.uint8)
    frame = EvidenceFrame("zone_entry", 3, WHEN, image, (10, 10, 50, 50))
    bar = DataBar("C", "L", "speeding", speed_kmh=80.0, limit_kmh=60)
    files = write_event_evidence(
        tmp_path / "event", bar, [frame], frame, [image] * 10, 25.0, (0, WHEN)
    )
    assert [f.kind for f in files] == ["frame", "plate_frame", "clip"]
    assert cv2.VideoCapture(str(files[-1].path)).read()[0]
    with pytest.raises(EvidenceWriteError, match="write-once"):
        write_event_evidence(tmp_path / "event", bar, [frame], None, [], 25.0, None)
