"""Plate-shaped bright panels in a scene: a second kind of plate candidate.

The text-row search (``ocr.localize``) finds a plate by its characters; where its bands
binarise them badly (a light plate on a dark car in a small photo: the local mean of a
band's large block falls below the plate's) it misses even a large, clear plate. The
plate's panel, a bright rectangle of a plate's proportions, is found whole instead and
read as a plate crop.
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr.images import Xyxy
from ocr.localize import MAX_WORK_SIDE_PX
from ocr.segment import overlap_ratio

# Local-mean windows, as shares of the image's width: a panel is brighter than the
# mean around it by _BRIGHTER_BY grey levels.
_BLOCK_SHARES = (0.15, 0.3)
_BRIGHTER_BY = 10
# A horizontal closing this share of the image's width joins the panel across its
# dark characters.
_CLOSE_SHARE = 0.02
# A panel's width / height (a US plate is 2:1, a European one ~4.7:1), its share of the
# image's area, and how much of its bounding box its outline fills (a rectangle: most).
_ASPECT = (1.6, 6.5)
_AREA_SHARE = (0.0005, 0.08)
_MIN_FILL = 0.7
_MIN_SIDE_PX = (30, 8)
# Two panels overlapping by more than this share of the smaller are one.
_SAME_PANEL_OVERLAP = 0.5
# A panel's crop adds this share of its width and height on either side (as a given
# plate box is cut, so that the crop is read like one).
_CROP_MARGIN = (0.12, 0.25)


def bright_panels(image_bgr: np.ndarray, *, limit: int = 2) -> list[tuple[Xyxy, np.ndarray]]:
    """Up to ``limit`` plate-shaped bright panels, the most rectangular first, as their
    box (image pixels) and their crop with a margin."""
    height, width = image_bgr.shape[:2]
    # Worked on at the text-row search's size at most.
    scale = min(1.0, MAX_WORK_SIDE_PX / max(height, width))
    work = (
        image_bgr
        if scale == 1.0
        else cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    work_h, work_w = gray.shape
    found: list[tuple[float, tuple[int, int, int, int]]] = []
    close = max(3, int(_CLOSE_SHARE * work_w))
    kernel = np.ones((max(3, close // 3), close), np.uint8)
    for share in _BLOCK_SHARES:
        block = max(3, int(share * work_w)) | 1
        bright = cv2.adaptiveThreshold(
            gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, -_BRIGHTER_BY
        )
        bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel)
        bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if w < _MIN_SIDE_PX[0] or h < _MIN_SIDE_PX[1]:
                continue
            if x == 0 or y == 0 or x + w == work_w or y + h == work_h:
                # Cut off by the image's edge: its proportions are not a panel's own
                # (a window or a patch of sky running out of the picture).
                continue
            area_share = w * h / float(work_w * work_h)
            if not _ASPECT[0] <= w / h <= _ASPECT[1]:
                continue
            if not _AREA_SHARE[0] <= area_share <= _AREA_SHARE[1]:
                continue
            fill = cv2.contourArea(contour) / float(w * h)
            if fill >= _MIN_FILL:
                found.append((fill, (x, y, x + w, y + h)))
    found.sort(key=lambda item: -item[0])
    kept: list[tuple[int, int, int, int]] = []
    for _, box in found:
        if len(kept) >= limit:
            break
        if all(overlap_ratio(box, other) <= _SAME_PANEL_OVERLAP for other in kept):
            kept.append(box)
    panels: list[tuple[Xyxy, np.ndarray]] = []
    for x1, y1, x2, y2 in kept:
        mx, my = _CROP_MARGIN[0] * (x2 - x1), _CROP_MARGIN[1] * (y2 - y1)
        panel_box: Xyxy = (x1 / scale, y1 / scale, x2 / scale, y2 / scale)
        crop = image_bgr[
            max(0, int((y1 - my) / scale)) : min(height, int(np.ceil((y2 + my) / scale))),
            max(0, int((x1 - mx) / scale)) : min(width, int(np.ceil((x2 + mx) / scale))),
        ]
        panels.append((panel_box, np.ascontiguousarray(crop)))
    return panels
