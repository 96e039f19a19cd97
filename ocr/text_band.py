"""Where a plate crop's text row lies when segmentation finds no row of separate glyphs:
the band of rows densest in vertical strokes.

A dealer frame drawn tight over a plate joins its glyphs to its bars, and a dim plate's
glyphs may not threshold apart: no character blobs, so no row to cut. A line recogniser
needs no blobs, only the row: glyphs are upright strokes, denser along their row than
anywhere else on a plate (its frame's bars and a state name's script run mostly level).
"""

from __future__ import annotations

import cv2
import numpy as np

# The stroke density is smoothed over this share of the crop's height.
_SMOOTHING = 1.0 / 16.0
# The band: the rows about the densest one whose density is at least this share of its.
_BAND_SHARE = 0.5
# A row of glyphs is between these shares of a plate crop's height.
_BAND_HEIGHT = (0.12, 0.8)
# Rows added above and below the band, as a share of its height (a glyph's serif, its
# blurred top).
_PAD = 0.15


def densest_text_band(gray: np.ndarray) -> tuple[int, int] | None:
    """The top and bottom row (exclusive) of the band of ``gray`` (a plate crop) densest
    in vertical strokes, padded; None where there is no such band of a glyph row's
    height."""
    height = gray.shape[0]
    strokes = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)).mean(axis=1)
    window = max(3, round(height * _SMOOTHING))
    profile = np.convolve(strokes, np.ones(window) / window, mode="same")
    peak = int(np.argmax(profile))
    if profile[peak] <= 0.0:
        return None
    dense = profile >= _BAND_SHARE * profile[peak]
    top = peak
    while top > 0 and dense[top - 1]:
        top -= 1
    bottom = peak + 1
    while bottom < height and dense[bottom]:
        bottom += 1
    band = bottom - top
    if not _BAND_HEIGHT[0] <= band / height <= _BAND_HEIGHT[1]:
        return None
    pad = round(_PAD * band)
    return max(0, top - pad), min(height, bottom + pad)
