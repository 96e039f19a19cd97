"""Cutting a layout's rows out of a plate image for the recogniser: each row with a
margin that reaches the glyphs its segmentation missed, cut at the plate's edges and
border, without what lies beside the plate (a lamp, a bolt, the coloured strip).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from ocr.glyphs import character_crop
from ocr.localize import PlateLayout
from ocr.row_crop import RowCrop
from ocr.row_reach import (
    RowReach,
    glyph_rows_at,
    glyph_slots_in_gaps,
    ink_levels,
    row_pitch,
    row_reach,
    with_glyphs_along,
)

# Margin around a row's characters, in character heights: room for a missed edge character.
_ROW_MARGIN = 0.45
# A character box this close (px) to the image's edge is cut off by it.
_EDGE_TOUCH_PX = 1
# A margin column inked over this share of the row crop's height is the plate's edge or
# its coloured strip, never a glyph (the crop reaches above and below the characters).
_EDGE_INK_SHARE = 0.8
# The edge's blurred rim: columns still this much of the way from the plate to the ink.
_EDGE_RIM_INK = 0.1
# A crop cut at an edge still leaves this gap (in character heights) beside the glyphs.
_EDGE_MIN_GAP = 0.15
# Above and below the glyphs, a crop cut at the plate's border keeps this gap (in
# character heights). Read with the border, the glyphs of a plate they nearly fill (EU)
# come out smaller in the recogniser's input and it misreads them (a "4" read "L").
_EDGE_MIN_GAP_Y = 0.1
# An edge blob is told from a glyph by the rows above and below the glyphs: at least this
# many of each are needed to tell; a row keeps at least this many glyphs.
_MIN_MARGIN_ROWS = 3
_MIN_ROW_GLYPHS = 2
# Ink in a row's margins shorter than this (in character heights) is a symbol beside
# the plate's characters, never one of them; ink shorter than the lower bound is noise.
_MIN_GLYPH_HEIGHT = 0.6
_MIN_SYMBOL_HEIGHT = 0.15
# A row-end blob off the row's height by more than this share and farther than this
# (in character heights) from the next blob is no character of the row.
_DETACHED_HEIGHT_OFF = 0.2
_DETACHED_GAP = 0.9


def row_crops(gray: np.ndarray, layout: PlateLayout) -> list[RowCrop]:
    """Cut the rows for the recogniser. On a two-line plate the small year right of the
    series is cut apart and read on its own."""
    if not layout.two_line:
        row = layout.rows[0]
        return [
            _cut(
                gray, row.xyxy, row.char_height_px, "line", boxes=row.char_boxes, dark=row.dark_text
            )
        ]
    top, bottom = layout.rows
    h = bottom.char_height_px
    boxes = top.char_boxes
    heights = boxes[:, 3] - boxes[:, 1]
    # The series ends at the first wide gap (the dash before the year) or where the
    # characters turn short (a small year printed right after it).
    gaps = boxes[1:, 0] - boxes[:-1, 2]
    wide = np.flatnonzero(gaps > 0.6 * h)
    series_end = int(wide[0]) + 1 if len(wide) else len(boxes)
    series = boxes[:series_end][heights[:series_end] >= 0.8 * h]
    if not len(series):
        series = boxes[:series_end]
    series_xyxy = (
        int(series[:, 0].min()),
        int(top.xyxy[1]),
        int(series[:, 2].max()),
        int(top.xyxy[3]),
    )
    # A row's crop stops where the other row begins (rows of a small plate nearly touch).
    above = (0, int(bottom.xyxy[1]))
    crops = [
        _cut(
            gray,
            series_xyxy,
            h,
            "series",
            boxes=series,
            right_margin=0.15,
            rows=above,
            dark=top.dark_text,
            pitch=row_pitch(bottom.char_boxes),
        )
    ]
    year_blobs = boxes[boxes[:, 0] > series_xyxy[2]]
    if len(year_blobs) >= 2:
        # The year's own digits, segmented: read just them (not the plate edge beyond).
        year_xyxy = (
            int(year_blobs[:, 0].min()),
            int(year_blobs[:, 1].min()),
            int(year_blobs[:, 2].max()),
            int(year_blobs[:, 3].max()),
        )
        year_height = float(np.median(year_blobs[:, 3] - year_blobs[:, 1]))
        crops.append(_cut(gray, year_xyxy, year_height, "year", margin=0.2, rows=above))
    else:
        year_left = series_xyxy[2] + int(0.15 * h)
        year_right = int(max(top.xyxy[2], bottom.xyxy[2]))
        if year_right - year_left > 0.6 * h:
            year_xyxy = (year_left, series_xyxy[1], year_right, series_xyxy[3])
            crops.append(_cut(gray, year_xyxy, h, "year", margin=0.0, rows=above))
    below = (int(top.xyxy[3]), gray.shape[0])
    crops.append(
        _cut(
            gray,
            bottom.xyxy,
            h,
            "digits",
            boxes=bottom.char_boxes,
            rows=below,
            dark=bottom.dark_text,
        )
    )
    return crops


def _cut(
    gray: np.ndarray,
    xyxy: tuple[int, int, int, int],
    char_height_px: float,
    role: str,
    *,
    boxes: np.ndarray | None = None,
    margin: float = _ROW_MARGIN,
    right_margin: float | None = None,
    rows: tuple[int, int] | None = None,
    dark: bool = True,
    pitch: float | None = None,
) -> RowCrop:
    height, width = gray.shape
    uncut: np.ndarray | None = None
    ends_found = False
    slots: list[np.ndarray] = []
    first_row, end_row = rows if rows is not None else (0, height)
    x1, y1, x2, y2 = xyxy
    top, bottom = (
        max(first_row, int(y1 - 0.2 * char_height_px)),
        min(end_row, int(y2 + 0.2 * char_height_px)),
    )
    if boxes is not None:
        boxes = _without_edge_blobs(gray[top:bottom], boxes, top, dark=dark)
        boxes, ends_found = with_glyphs_along(
            gray[top:bottom], boxes, top, dark=dark, sides=(True, role != "series")
        )
        slots = glyph_slots_in_gaps(gray[top:bottom], boxes, top, dark=dark)
        x1, x2 = int(boxes[:, 0].min()), int(boxes[:, 2].max())
    # The crop reaches past the glyphs the segmentation missed at the row's ends; they
    # are read there as glyphs in the margin (kept unless border-like, ``trim``). A
    # Punjab series ends in its year, read apart: it reaches left only, at the pitch of
    # the digits below (a series of two glyphs has none of its own).
    reach = (
        row_reach(
            gray[top:bottom], boxes, top, dark=dark, pitch=pitch, sides=(True, role != "series")
        )
        if boxes is not None
        else RowReach(x1, x2)
    )
    right_margin = margin if right_margin is None else right_margin
    left, right = (
        max(0, int(reach.left - margin * char_height_px)),
        min(width, int(reach.right + right_margin * char_height_px)),
    )
    if boxes is not None:
        left, right = _plate_columns(
            gray[top:bottom],
            (left, right),
            (reach.left, reach.right),
            dark=dark,
            char_height_px=char_height_px,
        )
        # Above and below, the plate's border line (or the bumper beyond it) too: rows
        # are the columns of the transposed crop.
        low, high = _inside_edges(
            gray[top:bottom, left:right].T,
            y1 - top,
            y2 - top,
            dark=dark,
            gap_px=int(_EDGE_MIN_GAP_Y * char_height_px),
        )
        if (low, high) != (0, bottom - top):
            uncut = gray[top:bottom, left:right]
        top, bottom = top + low, top + high
    crop_width = max(right - left, 1)
    span = ((x1 - left) / crop_width, (x2 - left) / crop_width)

    def spans(row_boxes: Iterable[np.ndarray]) -> tuple[tuple[float, float], ...]:
        """Boxes' left and right edges as fractions of the crop's width."""
        return tuple(
            ((float(b[0]) - left) / crop_width, (float(b[2]) - left) / crop_width)
            for b in row_boxes
        )

    char_spans: tuple[tuple[float, float], ...] = ()
    char_crops: tuple[np.ndarray, ...] = ()
    if boxes is not None:
        char_spans = spans(boxes)
        char_crops = tuple(character_crop(gray, box, char_height_px) for box in boxes)
    return RowCrop(
        gray[top:bottom, left:right],
        role,
        span,
        len(char_spans),
        char_spans,
        char_height_px / crop_width,
        uncut,
        char_crops,
        boxes is not None
        and (
            _touch_edge(boxes, gray.shape)
            or reach.left <= _EDGE_TOUCH_PX
            or reach.right >= width - _EDGE_TOUCH_PX
        ),
        reach.end_in_doubt,
        ends_found,
        dark,
        spans(slots),
    )


def _touch_edge(boxes: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Whether any of the character boxes reaches the edge of an image of ``shape``."""
    height, width = shape[:2]
    return bool(
        boxes[:, 0].min() <= _EDGE_TOUCH_PX
        or boxes[:, 1].min() <= _EDGE_TOUCH_PX
        or boxes[:, 2].max() >= width - _EDGE_TOUCH_PX
        or boxes[:, 3].max() >= height - _EDGE_TOUCH_PX
    )


def _plate_columns(
    band: np.ndarray,
    columns: tuple[int, int],
    glyphs: tuple[int, int],
    *,
    dark: bool,
    char_height_px: float,
) -> tuple[int, int]:
    """A row crop's ``columns`` of ``band`` (the crop's rows), stopped at the plate's edges
    and before the symbols in its margins; ``glyphs`` bound the segmented characters."""
    left, right = columns
    low, high = _inside_edges(
        band[:, left:right],
        glyphs[0] - left,
        glyphs[1] - left,
        dark=dark,
        gap_px=int(_EDGE_MIN_GAP * char_height_px),
    )
    left, right = left + low, left + high
    low, high = _beside_symbols(
        band[:, left:right],
        glyphs[0] - left,
        glyphs[1] - left,
        dark=dark,
        char_height_px=char_height_px,
    )
    return left + low, left + high


def _beside_symbols(
    crop: np.ndarray, first_x: int, last_x: int, *, dark: bool, char_height_px: float
) -> tuple[int, int]:
    """The columns of a row crop short of the symbols in its margins, as ``(start, end)``.

    Beside a plate's characters (``first_x`` to ``last_x``) may stand a coat of arms, a
    country code in small letters, a sticker or a bolt: ink shorter than a character,
    which the recogniser reads as one (a leading "E" or "P"). The crop stops before the
    nearest such blob; one as tall as a character stays (a character the segmentation
    missed), and so does ink touching the crop's top or bottom (the plate's border).
    """
    inked = ink_levels(crop, dark)[0].astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(inked, connectivity=8)
    gap = int(_EDGE_MIN_GAP * char_height_px)
    start, end = 0, crop.shape[1]
    for x, y, w, h, _ in stats[1:count]:
        short = _MIN_SYMBOL_HEIGHT * char_height_px <= h < _MIN_GLYPH_HEIGHT * char_height_px
        if not short or y == 0 or y + h == crop.shape[0]:
            continue
        if x + w <= first_x - gap:
            start = max(start, int(x + w))
        elif x >= last_x + gap:
            end = min(end, int(x))
    return start, end


def _without_edge_blobs(
    band: np.ndarray, boxes: np.ndarray, band_top: int, *, dark: bool
) -> np.ndarray:
    """The row's character boxes without those at its ends that are the plate's edge or
    its strip (a bolt-on frame, the blue EU strip): segmented as a tall glyph, they read
    as a leading "E", "F" or "L".

    Such a blob's ink runs on above and below the glyphs (``band``, the rows of the row's
    crop, starting at ``band_top``, reaches past them); a glyph's stops at them (a border
    line above or below leaves the gap before it uninked). A blob detached from the row
    (``_is_detached``) goes too.
    """
    glyph_top = int(np.median(boxes[:, 1])) - band_top
    glyph_bottom = int(np.median(boxes[:, 3])) - band_top
    height = float(np.median(boxes[:, 3] - boxes[:, 1]))
    margins = min(glyph_top, band.shape[0] - glyph_bottom) >= _MIN_MARGIN_ROWS

    def off_row(box: np.ndarray, rest: np.ndarray) -> bool:
        neighbour = rest[0] if rest[0][0] >= box[0] else rest[-1]
        if _is_detached(box, neighbour, height, band.shape[1]):
            return True
        if not margins:
            return False
        rows = glyph_rows_at(rest, (float(box[0]) + float(box[2])) / 2.0)
        return _is_edge_blob(band, box, neighbour, (rows[0] - band_top, rows[1] - band_top), dark)

    while len(boxes) > _MIN_ROW_GLYPHS and off_row(boxes[0], boxes[1:]):
        boxes = boxes[1:]
    while len(boxes) > _MIN_ROW_GLYPHS and off_row(boxes[-1], boxes[:-1]):
        boxes = boxes[:-1]
    return boxes


def _is_detached(box: np.ndarray, neighbour: np.ndarray, height: float, width: int) -> bool:
    """Whether an end blob is off the row's height and a character's height away from
    the next, or off its height and cut by the image's side (``width`` columns): a
    plate's characters are one height and evenly spaced, so it is a piece of the frame,
    a symbol beyond the emblem (a leading "E" read), or what lies beside the plate (a
    car's lamp at a tight crop's edge, read "Q"). A glyph the image's side cuts keeps
    its height."""
    gap = max(int(neighbour[0]) - int(box[2]), int(box[0]) - int(neighbour[2]))
    off_height = abs(float(box[3] - box[1]) / max(height, 1.0) - 1.0) > _DETACHED_HEIGHT_OFF
    at_side = int(box[0]) <= _EDGE_TOUCH_PX or int(box[2]) >= width - _EDGE_TOUCH_PX
    return off_height and (gap > _DETACHED_GAP * height or at_side)


def _is_edge_blob(
    band: np.ndarray,
    box: np.ndarray,
    neighbour: np.ndarray,
    glyph_rows: tuple[int, int],
    dark: bool,
) -> bool:
    """Whether an end blob's ink runs on above and below the glyph rows (``glyph_rows``,
    of ``band``) over most of its width.

    Ink is judged against the plate beside it, between the blob and its ``neighbour``
    glyph (a shadow across one end of the plate is no ink).
    """
    start, end = min(int(box[0]), int(neighbour[0])), max(int(box[2]), int(neighbour[2]))
    inked = ink_levels(band[:, start:end], dark)[0]
    columns = slice(int(box[0]) - start, int(box[2]) - start)
    above, below = inked[: glyph_rows[0], columns], inked[glyph_rows[1] :, columns]
    if above.size == 0 or below.size == 0:
        return False
    shares = np.minimum(above.mean(axis=0), below.mean(axis=0))
    return float(np.median(shares)) >= _EDGE_INK_SHARE


def _inside_edges(
    crop: np.ndarray, first_x: int, last_x: int, *, dark: bool, gap_px: int
) -> tuple[int, int]:
    """The columns of a row crop between the plate's edges in its margins, as ``(start, end)``
    (of a transposed crop: its rows between the plate's top and bottom borders).

    Read beside a glyph, an edge or a strip changes it (a "5" read "6"): the crop stops
    at it. The margin inside is kept (a character the segmentation missed may lie
    there), and at least ``gap_px`` beside the segmented characters, which ``first_x``
    and ``last_x`` bound.
    """
    width = crop.shape[1]
    if crop.size == 0:
        return 0, width
    inked, ink, plate_ink, text_ink = ink_levels(crop, dark)
    share = inked.mean(axis=0)
    rim = np.median(ink, axis=0) > plate_ink + _EDGE_RIM_INK * (text_ink - plate_ink)
    bounds = [0, width]
    for side, outward in enumerate(
        (range(min(first_x, width) - 1, -1, -1), range(max(last_x, 0), width))
    ):
        columns = list(outward)
        edge = next((i for i, x in enumerate(columns) if share[x] >= _EDGE_INK_SHARE), None)
        if edge is None:
            continue
        # The edge's rim towards the characters is part of it.
        while edge > 0 and rim[columns[edge - 1]]:
            edge -= 1
        bounds[side] = columns[edge] + 1 if side == 0 else columns[edge]
    return min(bounds[0], max(0, first_x - gap_px)), max(bounds[1], min(width, last_x + gap_px))
