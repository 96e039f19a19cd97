"""Frames kept as decoded (I420) and converted to colour only where a stage needs it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from enforcement.frames import Frame, as_i420
from enforcement.video import open_source

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "junction" / "clip.mp4"
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def decoded() -> Frame:
    """A real frame of the shipped junction sample, as the file source yields it."""
    for frame in open_source(SAMPLE, start_time=START):
        if frame.index == 40:
            return frame
    raise AssertionError("sample too short")


def test_a_clip_on_disk_is_decoded_to_i420_and_converted_on_first_use(decoded: Frame) -> None:
    assert decoded._bgr is None  # nothing has needed its colours yet
    assert decoded.size == (1280, 720)
    image = decoded.image
    assert image.shape == (720, 1280, 3) and image.dtype == np.uint8
    assert decoded.image is image  # converted once
    # The same pixels OpenCV's own reader gives, up to chroma interpolation.
    capture = cv2.VideoCapture(str(SAMPLE))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok, reference = capture.read()
    assert ok
    assert np.abs(image.astype(int) - reference).mean() < 2.5


def test_resized_scales_the_planes_before_converting(decoded: Frame) -> None:
    fresh = Frame(decoded.index, decoded.timestamp_s, decoded.captured_at, i420=decoded._i420)
    small = fresh.resized((480, 270))
    assert small.shape == (270, 480, 3)
    assert fresh._bgr is None  # the full frame was never converted
    expected = cv2.resize(decoded.image, (480, 270), interpolation=cv2.INTER_NEAREST)
    assert np.abs(small.astype(int) - expected).mean() < 3.0


def test_region_converts_only_the_pixels_asked_for(decoded: Frame) -> None:
    fresh = Frame(decoded.index, decoded.timestamp_s, decoded.captured_at, i420=decoded._i420)
    for box in [(101, 51, 160, 98), (0, 0, 7, 5), (1270, 700, 1400, 800)]:
        x0, y0, x1, y1 = box
        crop = fresh.region(*box)
        expected = decoded.image[max(y0, 0) : min(y1, 720), max(x0, 0) : min(x1, 1280)]
        assert crop.shape == expected.shape
        assert np.abs(crop.astype(int) - expected).max() <= 3
    assert fresh._bgr is None
    assert fresh.region(50, 50, 40, 60).size == 0


def test_bgr_and_i420_frames_answer_alike() -> None:
    rng = np.random.default_rng(3)
    # Smooth colours: 4:2:0 keeps chroma at half resolution.
    image = cv2.GaussianBlur(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8), (21, 21), 0)
    bgr = Frame(0, 0.0, START, image)
    yuv = Frame(0, 0.0, START, i420=as_i420(image))
    assert bgr.size == yuv.size == (96, 64)
    assert np.abs(yuv.image.astype(int) - image).mean() < 3.0
    assert np.abs(yuv.resized((48, 32)).astype(int) - bgr.resized((48, 32))).mean() < 3.0
    assert np.abs(yuv.region(10, 10, 30, 20).astype(int) - bgr.region(10, 10, 30, 20)).mean() < 3


def test_a_frame_needs_exactly_one_kind_of_pixels() -> None:
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="exactly one"):
        Frame(0, 0.0, START)
    with pytest.raises(ValueError, match="exactly one"):
        Frame(0, 0.0, START, image, i420=as_i420(image))
    with pytest.raises(ValueError, match="not an I420"):
        Frame(0, 0.0, START, i420=np.zeros((5, 4), np.uint8))
