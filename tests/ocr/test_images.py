"""Input images: conversions and clear errors (no model)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.errors import InvalidImageError
from ocr.images import crop_xyxy, is_too_small, percentiles, to_bgr


def test_it_converts_grayscale_and_single_channel_images_to_bgr() -> None:
    gray = np.full((40, 80), 128, dtype=np.uint8)
    assert to_bgr(gray).shape == (40, 80, 3)
    assert to_bgr(gray[:, :, None]).shape == (40, 80, 3)


def test_it_drops_the_alpha_channel_of_a_bgra_image() -> None:
    bgra = np.zeros((40, 80, 4), dtype=np.uint8)
    bgra[:, :, 2] = 200
    bgr = to_bgr(bgra)
    assert bgr.shape == (40, 80, 3)
    assert int(bgr[0, 0, 2]) == 200


def test_it_scales_float_images_in_the_unit_range() -> None:
    assert int(to_bgr(np.ones((20, 20, 3), dtype=np.float32))[0, 0, 0]) == 255


def test_it_decodes_encoded_image_bytes(pk_crops) -> None:
    ok, encoded = cv2.imencode(".png", pk_crops["Punjab-Plates_p_3.jpg"].image_bgr)
    assert ok
    assert to_bgr(encoded.tobytes()).shape == pk_crops["Punjab-Plates_p_3.jpg"].image_bgr.shape


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "None"),
        (np.zeros((0, 0, 3), dtype=np.uint8), "empty"),
        (b"definitely not a jpeg", "could not be decoded"),
        (b"", "could not be decoded"),
        (np.zeros((10, 10, 5), dtype=np.uint8), "unsupported image shape"),
        ("frame.jpg", "expected a numpy array"),
        (np.zeros((10, 10), dtype=np.complex64), "unsupported pixel type"),
    ],
)
def test_it_rejects_what_is_not_an_image_with_a_clear_message(value: object, message: str) -> None:
    with pytest.raises(InvalidImageError, match=message):
        to_bgr(value)


def test_it_flags_images_too_small_for_a_plate() -> None:
    assert is_too_small(np.zeros((8, 200, 3), dtype=np.uint8))
    assert not is_too_small(np.zeros((40, 80, 3), dtype=np.uint8))


def test_it_clips_a_vehicle_box_to_the_frame_and_returns_the_offset() -> None:
    frame = np.zeros((100, 200, 3), dtype=np.uint8)
    crop, offset = crop_xyxy(frame, (150.0, -20.0, 260.0, 60.0))
    assert crop.shape == (60, 50, 3)
    assert offset == (150, 0)


@pytest.mark.parametrize("box", [(300, 10, 400, 50), (10, 10, 10, 50), (0, 0, float("nan"), 5)])
def test_it_rejects_a_vehicle_box_outside_the_frame(box) -> None:
    with pytest.raises(InvalidImageError):
        crop_xyxy(np.zeros((100, 200, 3), dtype=np.uint8), box)


@pytest.mark.parametrize("percents", [(5, 95), (2, 98), (10, 90), (0, 50, 100), (33.3,)])
def test_its_percentiles_are_numpys_to_the_last_bit(pk_crops, percents) -> None:
    gray = cv2.cvtColor(pk_crops["Punjab-Plates_p_3.jpg"].image_bgr, cv2.COLOR_BGR2GRAY)
    for patch in (gray, gray[:7, :5], gray[3:4, 2:3], np.full((9, 4), 77, np.uint8)):
        expected = np.percentile(patch, percents)
        got = percentiles(patch, percents)
        assert [float(v) for v in got] == [float(v) for v in expected]
        assert all(isinstance(v, np.float64) for v in got)
    floats = gray.astype(np.float32) / 3.0
    assert list(percentiles(floats, percents)) == list(np.percentile(floats, percents))
