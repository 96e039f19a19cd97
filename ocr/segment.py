"""Character blobs and text lines: the classical core of plate localisation.

A plate is a short row (or two stacked rows) of similarly sized, upright, high-contrast
blobs. Finding those rows with adaptive thresholding and connected components costs a few
milliseconds, where EasyOCR's CRAFT detector costs seconds on a full frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

# Character shape limits, relative to the blob's own height (why: digits like "1" are
# thin, "W"/"M" are wide; anything outside is a border, a bolt or a texture).
_MIN_ASPECT = 0.08
_MAX_ASPECT = 1.25
# A few pixels tall, blur widens a bold "W" to ~1.5: a small blob up to this wide that
# cannot be cut into glyphs is one wide glyph.
_MAX_BLURRED_ASPECT = 1.7
_MIN_FILL = 0.12
_MAX_FILL = 0.92
_STRICT_OFFSET = 20
# Touching characters: a blob up to this wide (per height) may be a few glyphs run
# together; it is cut where its column of ink is at most this thin (per height), into
# pieces at least this wide.
_MAX_MERGED_ASPECT = 4.0
_MAX_JOIN_INK = 0.35
_MIN_PIECE_WIDTH = 0.2
_MIN_PIECE_HEIGHT = 0.75
# A plate's dash touching the glyph beside it is cut off as a flat piece (at most this
# tall, per the blob's height) level with the glyphs' middle: a separator, not a glyph.
_MAX_DASH_HEIGHT = 0.4
# Two neighbouring characters of one line.
_MAX_HEIGHT_RATIO = 1.45
_MAX_GAP_PER_HEIGHT = 1.1
_MAX_CENTRE_SHIFT_PER_HEIGHT = 0.3
# Fewer blobs than this in every row found: the threshold's mean may have been too wide.
_FINER_BELOW = 3
# A band of larger characters is segmented on the image halved (once or more) while its
# smallest characters stay this tall: as separable as at full size, at a fraction of
# the pixels.
_BAND_MIN_CHAR_PX = 12.0


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
    max_merged_height_px: float = 0.0,
    finer_fallback: bool = False,
) -> list[TextLine]:
    """Find rows of character-like blobs of both polarities.

    Args:
        gray: ``(H, W)`` uint8 image.
        min_char_height_px: smallest character height to consider.
        max_char_height_px: largest character height to consider.
        min_chars: fewest blobs a row needs.
        multi_scale: threshold once per band of character heights (scenes, where plates
            of any size may appear); otherwise once for the whole range (a plate crop).
        max_merged_height_px: a too-wide blob up to this tall may be touching characters
            and is cut into them (0: never). Glyphs touch only where the camera gave them
            few pixels, so callers scale this with how much they enlarged the image.
        finer_fallback: where no row of ``_FINER_BELOW`` blobs is found, threshold again
            against a local mean half as wide: a bright plate in a dark margin drags a
            wide mean down below its glyphs, which are lost (a plate crop's mean is as
            wide as its largest glyphs may be, which a crop with margins seldom holds).

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
        scale = _band_scale(low) if multi_scale else 1.0
        work = (
            gray
            if scale == 1.0
            else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        # The local mean must span a few characters and their plate, not the whole car.
        block = _odd(max(11, int(round(high * scale * (1.8 if multi_scale else 0.9)))))
        limits = (low * scale, high * scale, max_merged_height_px * scale)
        found = _lines_at(work, scale, block, limits, min_chars)
        if finer_fallback and max((line.count for line in found), default=0) < _FINER_BELOW:
            found += _lines_at(work, scale, _odd(max(11, block // 2)), limits, min_chars)
        lines.extend(found)
    return _dedupe(lines)


def _lines_at(
    work: np.ndarray,
    scale: float,
    block: int,
    limits: tuple[float, float, float],
    min_chars: int,
) -> list[TextLine]:
    """Rows of character blobs in ``work`` (the image scaled by ``scale``; the rows are
    in the image's pixels) thresholded against the mean of ``block`` pixels around each,
    of both polarities; ``limits`` are the blobs' least and greatest height and the
    greatest of touching glyphs, in ``work``'s pixels (``_character_boxes``)."""
    lines: list[TextLine] = []
    # A second, stricter threshold thins bold strokes, separating characters (and the
    # two rows of a tightly printed plate) that the first one merged.
    for dark_text, offset in ((True, 7), (False, 7), (True, _STRICT_OFFSET)):
        binary = cv2.adaptiveThreshold(
            work,
            255,
            cv2.ADAPTIVE_THRESH_MEAN_C,
            cv2.THRESH_BINARY_INV if dark_text else cv2.THRESH_BINARY,
            block,
            offset,
        )
        boxes = _character_boxes(binary, *limits)
        if scale != 1.0:
            boxes = np.round(boxes / scale).astype(int)
        lines.extend(
            TextLine(group, dark_text) for group in _group_rows(boxes) if len(group) >= min_chars
        )
    return lines


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


def _band_scale(low: float) -> float:
    """The power of two the image is shrunk by for a band whose smallest characters are
    ``low`` px tall: as far as they stay ``_BAND_MIN_CHAR_PX`` tall."""
    octaves = int(math.floor(math.log2(max(low / _BAND_MIN_CHAR_PX, 1.0))))
    return 0.5**octaves


def _odd(value: int) -> int:
    return value if value % 2 else value + 1


def _character_boxes(
    binary: np.ndarray, min_h: float, max_h: float, max_merged_h: float
) -> np.ndarray:
    count, labels, stats = _components(binary)
    if count <= 1:
        return np.zeros((0, 4), dtype=int)
    widths = stats[:, cv2.CC_STAT_WIDTH].astype(float)
    heights = stats[:, cv2.CC_STAT_HEIGHT].astype(float)
    aspect = widths / np.maximum(heights, 1.0)
    in_height = (heights >= min_h) & (heights <= max_h)
    in_height[0] = False  # the background
    boxes = [
        _xyxy(stats[i])
        for i in np.flatnonzero(in_height & (aspect >= _MIN_ASPECT) & (aspect <= _MAX_ASPECT))
        if _is_character(stats[i])
    ]
    merged = in_height & (heights <= max_merged_h)
    for i in np.flatnonzero(merged & (aspect > _MAX_ASPECT) & (aspect <= _MAX_MERGED_ASPECT)):
        x, y, w, h = (int(v) for v in stats[i, :4])
        mask = labels[y : y + h, x : x + w] == i
        pieces = [box for box in _split_merged(mask, x, y) if not _is_dash(box, y, h)]
        # Glyphs of one row are all about as tall as the blob; texture (foliage, a
        # grille) cut at its thin columns gives pieces of any height and shape.
        if pieces and all(
            box[3] - box[1] >= _MIN_PIECE_HEIGHT * h and _box_is_character(mask, box, x, y)
            for box in pieces
        ):
            boxes.extend(pieces)
        elif not pieces and w <= _MAX_BLURRED_ASPECT * h and _is_character(stats[i]):
            boxes.append(_xyxy(stats[i]))
    if not boxes:
        return np.zeros((0, 4), dtype=int)
    array = np.array(boxes, dtype=int)
    return array[np.argsort(array[:, 0], kind="stable")]


def _components(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components: their count, label image and ``(count, 5)`` stats.

    16-bit labels are labelled over twice as fast (measured on vehicle boxes, ~0.6
    Mpx); only texture has more components than they can number, and OpenCV then
    refuses them rather than wrap: 32-bit labels then.
    """
    try:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            binary, connectivity=8, ltype=cv2.CV_16U
        )
    except cv2.error:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            binary, connectivity=8, ltype=cv2.CV_32S
        )
    return count, labels, stats


def _xyxy(stat: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = (int(v) for v in stat[:4])
    return (x, y, x + w, y + h)


def _is_character(stat: np.ndarray) -> bool:
    area = float(stat[cv2.CC_STAT_AREA])
    return _fills_like_a_character(
        area, float(stat[cv2.CC_STAT_WIDTH]), float(stat[cv2.CC_STAT_HEIGHT])
    )


def _fills_like_a_character(ink_px: float, width: float, height: float) -> bool:
    """Whether ink covers as much of its box as a character's does (not a bar, not a dot)."""
    return _MIN_FILL <= ink_px / max(width * height, 1.0) <= _MAX_FILL


def _box_is_character(mask: np.ndarray, box: tuple[int, int, int, int], x: int, y: int) -> bool:
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    if not _MIN_ASPECT <= width / max(height, 1) <= _MAX_ASPECT:
        return False
    ink_px = float(mask[y1 - y : y2 - y, x1 - x : x2 - x].sum())
    return _fills_like_a_character(ink_px, width, height)


def _is_dash(box: tuple[int, int, int, int], blob_top: int, blob_height: int) -> bool:
    """Whether a piece cut from a blob is a dash: flat, wider than tall, mid-height."""
    x1, y1, x2, y2 = box
    middle = (y1 + y2) / 2.0 - blob_top
    return (
        y2 - y1 <= _MAX_DASH_HEIGHT * blob_height
        and x2 - x1 >= y2 - y1
        and 0.25 * blob_height <= middle <= 0.75 * blob_height
    )


def _split_merged(mask: np.ndarray, x: int, y: int) -> list[tuple[int, int, int, int]]:
    """Cut a blob of touching characters ("ICT" of a small, bold plate) into pieces.

    At a few pixels per stroke neighbouring glyphs touch and form one wide blob that no
    character filter accepts, and the row loses them. The blob is cut at its thinnest
    column (where two glyphs touch) until every piece is narrow enough; a blob with a
    part whose thinnest column is still thick is a solid shape, not glyphs: nothing.
    """
    height, width = mask.shape
    if width <= _MAX_ASPECT * height:
        return [_tight_box(mask, x, y)] if mask.any() else []
    ink = mask.sum(axis=0)
    margin = max(1, int(_MIN_PIECE_WIDTH * height))
    if width <= 2 * margin:
        return []
    cut = margin + int(np.argmin(ink[margin : width - margin]))
    if ink[cut] > _MAX_JOIN_INK * height:
        return []
    left = _split_merged(mask[:, :cut], x, y)
    right = _split_merged(mask[:, cut + 1 :], x + cut + 1, y)
    return left + right if left and right else []


def _tight_box(mask: np.ndarray, x: int, y: int) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1)


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
        if all(overlap_ratio(line.xyxy, other.xyxy) < 0.6 for other in kept):
            kept.append(line)
    return kept


def overlap_ratio(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(width * height) / max(smaller, 1)
