"""The band of a plate crop densest in upright strokes: where its text row lies."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.text_band import densest_text_band
from tests.ocr.conftest import OPENALPR


def test_the_band_covers_the_glyph_row_and_not_the_frame_or_the_state_name() -> None:
    # 5UVR090's frame runs into its glyphs' feet; "California" is written above them and
    # "moving forward" below, in the frame. As the benchmark cuts it (115 rows high), its
    # glyphs stand on about rows 50 to 85, the script on 27 to 45, the slogan on 87 to 97.
    gray = cv2.cvtColor(cv2.imread(str(OPENALPR / "car12_5UVR090.png")), cv2.COLOR_BGR2GRAY)
    band = densest_text_band(gray)
    assert band is not None
    top, bottom = band
    assert 40 <= top <= 50 and 85 <= bottom <= 92


def test_a_crop_with_no_strokes_has_no_band() -> None:
    assert densest_text_band(np.full((80, 200), 128, np.uint8)) is None
    # Strokes everywhere (a grille, a texture) are no row of glyphs either.
    stripes = np.tile(np.repeat(np.array([0, 255], np.uint8), 3), (80, 40))
    assert densest_text_band(stripes) is None
