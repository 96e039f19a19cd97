"""Plate localisation on real crops and full scenes (no model)."""

from __future__ import annotations

import cv2
import numpy as np

from ocr import localize


def _iou(a, b) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _gray_at_height(image_bgr: np.ndarray, height_px: int = 160) -> np.ndarray:
    scale = height_px / image_bgr.shape[0]
    return cv2.cvtColor(cv2.resize(image_bgr, None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY)


def test_it_finds_both_rows_of_a_punjab_plate(pk_crops) -> None:
    for name in ("Punjab-Plates_p_3.jpg", "Punjab-Plates_111.jpg", "Punjab-Plates_p_36.jpg"):
        layout = localize.find_layouts(_gray_at_height(pk_crops[name].image_bgr), plate_crop=True)[
            0
        ]
        assert layout.two_line, name
        top, bottom = layout.rows
        assert top.xyxy[3] <= bottom.xyxy[1] + 0.1 * bottom.char_height_px
        # The digits row holds exactly the registration digits.
        assert bottom.count == len(pk_crops[name].plate.split("-")[1]), name


def test_it_reads_a_sindh_plate_as_one_row_without_the_province_word(pk_crops) -> None:
    for name in ("Karachi-Plate_5.JPG", "Karachi-Plate_29.JPG"):
        layout = localize.find_layouts(_gray_at_height(pk_crops[name].image_bgr), plate_crop=True)[
            0
        ]
        assert not layout.two_line, name
        # "ASY-747": six characters (the dash is not a character blob).
        assert layout.rows[0].count == len(pk_crops[name].plate.replace("-", "")), name


def test_it_locates_the_plate_in_full_scenes(scenes) -> None:
    for name, scene in scenes.items():
        x, y, w, h = scene.box_xywh
        candidates = localize.locate(scene.image_bgr, limit=3)
        assert candidates, name
        assert max(_iou(c.xyxy, (x, y, x + w, y + h)) for c in candidates) > 0.3, name
        assert all(0.0 <= c.score <= 1.0 for c in candidates)


def test_it_locates_the_plate_inside_a_vehicle_box_in_frame_coordinates(pk_crops) -> None:
    car = pk_crops["test-images_a14.jpg"].image_bgr
    candidates = localize.locate(car[200:449, 250:600], offset_xy=(250, 200), limit=3)
    assert candidates
    x1, y1, x2, y2 = candidates[0].xyxy
    # The yellow plate sits under the rear window, around x 350-470, y 260-300.
    assert 330 <= x1 < x2 <= 490 and 240 <= y1 < y2 <= 320
    assert candidates[0].crop_bgr.shape[0] > 0


def test_it_finds_no_plate_in_a_frame_without_characters() -> None:
    rng = np.random.default_rng(7)
    smooth = cv2.GaussianBlur(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8), (0, 0), 25)
    assert localize.locate(smooth) == []
