"""Character blobs and text lines: the classical core of plate localisation.

A plate is a short row (or two stacked rows) of similarly sized, upright, high-contrast
blobs. Finding those rows with adaptive thresholding and connected components costs a few
milliseconds, where EasyOCR's CRAFT detector costs seconds on a full frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

# Character shape limits, relative to the blob's own height (why: digits like "1" are
# thin, "W"/"M" are wide; anything outside is a border, a bolt or a texture).
_MIN_ASPECT = 0.08
_MAX_ASPECT = 1.25
_MIN_FILL = 0.12
_MAX_FILL = 0.92
_STRICT_OFFSET = 20
# Two neighbouring characters of one line.
_MAX_HEIGHT_RATIO = 1.45
_MAX_GAP_PER_HEIGHT = 1.1
_MAX_CENTRE_SHIFT_PER_HEIGHT = 0.3


@dataclass(frozen=True)
class TextLine:
    """A row of character blobs, in the pixel coordinates of the analysed image.

    ``char_boxes`` is an ``(N, 4)`` int array of ``xyxy`` blob boxes, left to right.
    ``dark_text`` is True for dark characters on a light plate.
    """

    char_boxes: np.ndarray
    dark_text: bool

    @cached_property
    def xyxy(self) -> tuple[int, int, int, int]:
        boxes = self.char_boxes
        return (
            int(boxes[:, 0].min()),
            int(boxes[:, 1].min()),
            int(boxes[:, 2].max()),
            int(boxes[:, 3].max()),
        )

    @cached_property
    def char_height_px(self) -> float:
        return float(np.median(self.char_boxes[:, 3] - self.char_boxes[:, 1]))

    @property
    def count(self) -> int:
        return int(len(self.char_boxes))

    @cached_property
    def angle_deg(self) -> float:
        """Slope of the baseline through the blob bottoms (0 for a level line)."""
        if self.count < 2:
            return 0.0
        centres_x = (self.char_boxes[:, 0] + self.char_boxes[:, 2]) / 2.0
        bottoms = self.char_boxes[:, 3].astype(float)
        slope = float(np.polyfit(centres_x, bottoms, 1)[0])
        return float(np.degrees(np.arctan(slope)))

    def height_spread(self) -> float:
        """Relative spread of blob heights (0 for identical heights)."""
        heights = (self.char_boxes[:, 3] - self.char_boxes[:, 1]).astype(float)
        return float(heights.std() / max(heights.mean(), 1.0))


def find_text_lines(
    gray: np.ndarray,
    *,
    min_char_height_px: float,
    max_char_height_px: float,
    min_chars: int = 2,
    multi_scale: bool = True,
) -> list[TextLine]:
    """Find rows of character-like blobs of both polarities.

    Args:
        gray: ``(H, W)`` uint8 image.
        min_char_height_px: smallest character height to consider.
        max_char_height_px: largest character height to consider.
        min_chars: fewest blobs a row needs.
        multi_scale: threshold once per band of character heights (scenes, where plates
            of any size may appear); otherwise once for the whole range (a plate crop).

    Returns:
        Lines from both polarities, duplicates (same blobs found twice) removed.
    """
    lines: list[TextLine] = []
    bands = (
        _height_bands(min_char_height_px, max_char_height_px)
        if multi_scale
        else [(min_char_height_px, max_char_height_px)]
    )
    for low, high in bands:
        # The local mean must span a few characters and their plate, not the whole car.
        block = _odd(max(11, int(round(high * (1.8 if multi_scale else 0.9)))))
        # A second, stricter threshold thins bold strokes, separating characters (and the
        # two rows of a tightly printed plate) that the first one merged.
        for dark_text, offset in ((True, 7), (False, 7), (True, _STRICT_OFFSET)):
            binary = cv2.adaptiveThreshold(
                gray,
                255,
                cv2.ADAPTIVE_THRESH_MEAN_C,
                cv2.THRESH_BINARY_INV if dark_text else cv2.THRESH_BINARY,
                block,
                offset,
            )
            boxes = _character_boxes(binary, low, high)
            lines.extend(
                TextLine(group, dark_text)
                for group in _group_rows(boxes)
                if len(group) >= min_chars
            )
    return _dedupe(lines)


def _height_bands(low: float, high: float) -> list[tuple[float, float]]:
    """Overlapping character-height bands, each at most ~2.2x tall, covering [low, high]."""
    bands = []
    start = low
    while True:
        end = min(high, start * 2.2)
        bands.append((start, end))
        if end >= high:
            return bands
        start = end / 1.25


def _odd(value: int) -> int:
    return value if value % 2 else value + 1


def _character_boxes(binary: np.ndarray, min_h: float, max_h: float) -> np.ndarray:
    count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return np.zeros((0, 4), dtype=int)
    stats = stats[1:]
    widths = stats[:, cv2.CC_STAT_WIDTH].astype(float)
    heights = stats[:, cv2.CC_STAT_HEIGHT].astype(float)
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(widths * heights, 1.0)
    aspect = widths / np.maximum(heights, 1.0)
    keep = (
        (heights >= min_h)
        & (heights <= max_h)
        & (aspect >= _MIN_ASPECT)
        & (aspect <= _MAX_ASPECT)
        & (fill >= _MIN_FILL)
        & (fill <= _MAX_FILL)
    )
    kept = stats[keep]
    x1 = kept[:, cv2.CC_STAT_LEFT]
    y1 = kept[:, cv2.CC_STAT_TOP]
    boxes = np.stack(
        [x1, y1, x1 + kept[:, cv2.CC_STAT_WIDTH], y1 + kept[:, cv2.CC_STAT_HEIGHT]], axis=1
    )
    return boxes[np.argsort(boxes[:, 0])] if len(boxes) else np.zeros((0, 4), dtype=int)


def _group_rows(boxes: np.ndarray) -> list[np.ndarray]:
    """Chain each blob to its nearest compatible right-hand neighbour."""
    count = len(boxes)
    if count == 0:
        return []
    heights = (boxes[:, 3] - boxes[:, 1]).astype(float)
    centres_y = (boxes[:, 1] + boxes[:, 3]) / 2.0
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(count):
        best, best_gap = -1, np.inf
        for j in range(i + 1, count):
            gap = boxes[j, 0] - boxes[i, 2]
            tallest = max(heights[i], heights[j])
            if gap > _MAX_GAP_PER_HEIGHT * tallest:
                break
            if gap < -0.3 * min(heights[i], heights[j]):
                continue
            if tallest / max(min(heights[i], heights[j]), 1.0) > _MAX_HEIGHT_RATIO:
                continue
            if abs(centres_y[i] - centres_y[j]) > _MAX_CENTRE_SHIFT_PER_HEIGHT * tallest:
                continue
            if gap < best_gap:
                best, best_gap = j, gap
        if best >= 0:
            parent[find(best)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(count):
        groups.setdefault(find(i), []).append(i)
    return [boxes[sorted(members, key=lambda k: boxes[k, 0])] for members in groups.values()]


def _dedupe(lines: list[TextLine]) -> list[TextLine]:
    """Drop a line whose box mostly overlaps a line with more blobs."""
    ordered = sorted(lines, key=lambda line: -line.count)
    kept: list[TextLine] = []
    for line in ordered:
        if all(_overlap_ratio(line.xyxy, other.xyxy) < 0.6 for other in kept):
            kept.append(line)
    return kept


def _overlap_ratio(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(width * height) / max(smaller, 1)
