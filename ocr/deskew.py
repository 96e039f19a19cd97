"""Undo the slant of a plate's characters before they are cut and read.

A plate seen from above and to one side is sheared: its vertical strokes lean (levelling
the baseline does not undo that), and the recogniser reads a leaning "F" as "IF" or
drops it. The shear is the one under which the characters' vertical edges line up into
the fewest, strongest columns.
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr.localize import PlateLayout

# Shears tried (horizontal shift per pixel of height): up to ~30 degrees of lean, every
# fourth first, then the finer ones beside the best of those (the columns' strength
# rises smoothly towards the upright shear: the same shear for a third of the warps).
_SHEARS = np.linspace(-0.6, 0.6, 49)
_COARSE_STEP = 4
# Below this the characters are upright enough; re-segmenting would only cost time.
MIN_SHEAR = 0.1
# Margin of the analysed patch around the layout, in character heights.
_MARGIN_X = 0.5
_MARGIN_Y = 0.2


def estimate_shear(gray: np.ndarray, layout: PlateLayout) -> float:
    """The shear that stands the layout's characters upright (0 when level or unknown).

    ``x' = x + shear * (y - y_centre)`` straightens them; a positive shear means their
    tops lean right.
    """
    x1, y1, x2, y2 = layout.xyxy
    h = layout.char_height_px
    patch = gray[
        max(0, int(y1 - _MARGIN_Y * h)) : int(y2 + _MARGIN_Y * h),
        max(0, int(x1 - _MARGIN_X * h)) : int(x2 + _MARGIN_X * h),
    ]
    if patch.size == 0:
        return 0.0
    edges = np.abs(cv2.Sobel(patch.astype(np.float32), cv2.CV_32F, 1, 0, ksize=3))

    def column_strength(shear: float) -> float:
        height, width = edges.shape
        sheared = cv2.warpAffine(edges, _shear_matrix(shear, height / 2.0), (width, height))
        columns = sheared.sum(axis=0)
        return float(np.dot(columns, columns))

    coarse = max(_SHEARS[::_COARSE_STEP], key=column_strength)
    nearest = int(np.argmin(np.abs(_SHEARS - coarse)))
    fine = _SHEARS[max(0, nearest - _COARSE_STEP + 1) : nearest + _COARSE_STEP]
    return float(max(fine, key=column_strength))


def unshear(image: np.ndarray, shear: float, centre_y: float) -> np.ndarray:
    """``image`` with rows shifted by ``shear * (y - centre_y)``, edges replicated."""
    height, width = image.shape[:2]
    return cv2.warpAffine(
        image,
        _shear_matrix(shear, centre_y),
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _shear_matrix(shear: float, centre_y: float) -> np.ndarray:
    return np.array([[1.0, shear, -shear * centre_y], [0.0, 1.0, 0.0]], dtype=np.float32)
