"""Standing a slanted plate's characters upright (no model)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import deskew, localize


def _plate(image_bgr: np.ndarray, height_px: int = 160) -> np.ndarray:
    scale = height_px / image_bgr.shape[0]
    return cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _shear_of(plate_bgr: np.ndarray) -> float:
    gray = cv2.cvtColor(plate_bgr, cv2.COLOR_BGR2GRAY)
    layout = localize.find_layouts(gray, plate_crop=True)[0]
    return deskew.estimate_shear(gray, layout)


@pytest.mark.parametrize("name", ["Punjab-Plates_p_3.jpg", "Karachi-Plate_5.JPG"])
def test_it_leaves_an_upright_plate_alone(pk_crops, name: str) -> None:
    assert abs(_shear_of(_plate(pk_crops[name].image_bgr))) < deskew.MIN_SHEAR


# Text rich in one-way diagonals ("ASY-747") leaning the same way much beyond 0.2 is
# under-corrected (its "7"s stood upright look like verticals): never over-corrected.
@pytest.mark.parametrize("lean", [-0.2, 0.3])
@pytest.mark.parametrize("name", ["Punjab-Plates_p_3.jpg", "Karachi-Plate_5.JPG"])
def test_it_measures_the_lean_of_a_slanted_plate(pk_crops, name: str, lean: float) -> None:
    plate = _plate(pk_crops[name].image_bgr)
    # Shifting rows by -lean * (y - centre) leans the characters' tops by ``lean``.
    slanted = deskew.unshear(plate, -lean, plate.shape[0] / 2.0)
    assert _shear_of(slanted) == pytest.approx(lean, abs=0.06)
    upright = deskew.unshear(slanted, _shear_of(slanted), plate.shape[0] / 2.0)
    assert abs(_shear_of(upright)) < deskew.MIN_SHEAR


@pytest.mark.parametrize("lean", [-0.45, -0.2, 0.0, 0.3, 0.5])
def test_its_coarse_then_fine_search_finds_the_best_of_every_shear(
    pk_crops, monkeypatch, lean: float
) -> None:
    plate = _plate(pk_crops["Punjab-Plates_p_3.jpg"].image_bgr)
    slanted = deskew.unshear(plate, -lean, plate.shape[0] / 2.0)
    found = _shear_of(slanted)
    monkeypatch.setattr(deskew, "_COARSE_STEP", 1)  # every shear tried
    assert found == _shear_of(slanted)
