"""Where a plate's row of glyphs ends, and the glyphs its segmentation missed there or between.

A glyph blurred into the plate's frame, or into its neighbour, is no character blob (a
US "AKS4329"'s "9" against the frame), and a crop cut at the segmented characters loses
it. A plate's characters are evenly spaced:
one pitch beyond each end of the row, ink that fills a glyph's box within the row's
height, in the row's ink, and stops there (not the frame's edge, the strip, an emblem or
a sticker) is a glyph the crop must reach. Ink beyond an end shaped like a glyph but paler
than the row's is a glyph blurred thin or an emblem, which the crop does not reach: the
row's end is in doubt, and so is a reading of it (a blurred "ATZ-972" read "ATZ-97").
A frame drawn tight around the glyphs joins them to its bars into one blob, and a glyph
that touched the frame or its neighbour is missing between two segmented ones: along the
row's band, cut to the glyphs' height, they stand apart again and are found there.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from ocr.images import percentiles

# A row's pitch (centre to centre of its characters, at most this many character
# heights: wider is the gap between two blocks) needs this many characters.
_MIN_GLYPHS_FOR_PITCH = 3
_MAX_PITCH = 1.2
# At most this many missed glyphs are looked for beyond each end of a row.
_MAX_MISSED_GLYPHS = 2
# A glyph's ink fills this share of its slot (its pitch-placed box) ...
_MIN_SLOT_FILL = 0.15
_MAX_SLOT_FILL = 0.85
# ... of which at least this many columns lie inside the image ...
_MIN_SLOT_PX = 2
# ... is at least this dark, from the plate's level to its neighbour glyph's (a coloured
# emblem is paler in grey) ...
_SAME_INK = 0.85
# ... has one blob at least this share of the row's height tall (an emblem over its
# country code, or a bolt above a dash, is blobs of part of the height) ...
_MIN_BLOB_HEIGHT = 0.6
# ... and in the rows just beyond it (this share of the row's height) inks at most this
# much more than its neighbour glyph does (a frame's edge or a strip runs on).
_BEYOND_ROWS = 0.12
_BEYOND_EXTRA_INK = 0.15
# Glyphs along a row: blobs of the row's height less this sliver above and below (its
# share of the row's height), thresholded against this offset from the local mean ...
_ALONG_SLIVER = 0.06
_ALONG_OFFSET = 7
# ... at least this share of that height tall, this wide per the row's height and at
# most this wide per its typical glyph's width ...
_ALONG_MIN_HEIGHT = 0.8
_ALONG_MIN_WIDTH = 0.1
_ALONG_MAX_WIDTH = 1.5
# (A blob up to this wide may be a missed glyph run into a segmented one: what of it
# lies beside the segmented glyphs is tested.)
_ALONG_MAX_MERGED = 3.0
# ... beyond the row's ends, at least this wide per its typical glyph (a frame's side is
# thinner), with the plate's margin beside it (this share of the row's height, at most
# this share inked) ...
_ALONG_MIN_END_WIDTH = 0.5
_ALONG_END_MARGIN = 0.1
_ALONG_MAX_MARGIN_INK = 0.5
# ... at most this far (per the row's height) from a glyph of the row.
_MAX_ALONG_GAP = 1.1
# A gap between two glyphs of a row this many pitches wide (centre to centre) holds one
# glyph more.
_ONE_SLOT_GAP = (1.7, 2.3)


class RowReach(NamedTuple):
    """The columns from a row's first glyph to its last, and whether ink beyond an end
    may be one more glyph, too pale to tell from an emblem."""

    left: int
    right: int
    end_in_doubt: bool = False


def row_reach(
    band: np.ndarray,
    boxes: np.ndarray,
    band_top: int,
    *,
    dark: bool,
    pitch: float | None = None,
    sides: tuple[bool, bool] = (True, True),
) -> RowReach:
    """The columns from a row's first glyph to its last, glyphs the segmentation missed
    at its ends included.

    ``band`` is the image's rows around the row (starting at row ``band_top``), across
    its full width; ``boxes`` the row's segmented ``xyxy`` character boxes, left to right.
    ``pitch`` is the glyphs' spacing where another row of the plate gives it (a row of
    two glyphs cannot); ``sides`` says at which ends (left, right) glyphs are looked for.
    """
    pitch = row_pitch(boxes) if pitch is None else pitch
    if pitch is None:
        return RowReach(int(boxes[:, 0].min()), int(boxes[:, 2].max()))
    half_width = _half_width(boxes)
    ends = [boxes[0], boxes[-1]]
    in_doubt = False
    for side, step in enumerate((-pitch, pitch)):
        if not sides[side]:
            continue
        for _ in range(_MAX_MISSED_GLYPHS):
            centre = (float(ends[side][0]) + float(ends[side][2])) / 2.0 + step
            found, pale = _missed_glyph(
                band, boxes, ends[side], centre, half_width, band_top, dark=dark
            )
            if found is None:
                in_doubt = in_doubt or pale
                break
            ends[side] = found
    return RowReach(int(ends[0][0]), int(ends[1][2]), in_doubt)


def with_glyphs_along(
    band: np.ndarray,
    boxes: np.ndarray,
    band_top: int,
    *,
    dark: bool,
    sides: tuple[bool, bool] = (True, True),
) -> tuple[np.ndarray, bool]:
    """``boxes`` with the glyphs the segmentation missed along the row: glyph-tall blobs
    of ink within the row's height, chained to the row a glyph's gap at a time; and
    whether any lies beyond the row's ends.

    A plate's frame drawn tight around its glyphs joins them to its bars, and the
    segmentation sees one blob of frame and glyphs (a US "UG9 L8U" was segmented "U",
    "9"): cut to the row's height, less a sliver above and below, the bars fall away and
    the glyphs stand apart. Each is tested as a missed glyph beyond the row's ends is (a
    frame's side runs on above and below, an emblem is paler). ``sides`` says at which
    ends (left, right) of the row glyphs are looked for; between its glyphs they always
    are. A glyph found so beyond an end leaves the end in doubt: what made the
    segmentation miss it (a blur, a frame) may hide one more beyond it (a blurred
    "BCS-036" was found "CS-036").
    """
    height = float(np.median(boxes[:, 3] - boxes[:, 1]))
    glyph_width = float(np.median(boxes[:, 2] - boxes[:, 0]))
    binary = _band_ink(band, boxes, band_top, height, dark=dark)
    if binary is None:
        return boxes, False
    blobs = _tall_blobs(binary, height, glyph_width)
    margin = max(2, round(_ALONG_END_MARGIN * height))

    def ends_row(x1: int, x2: int, outward: int) -> bool:
        """Whether a blob beyond the row's end can be its end glyph: a glyph's width, not
        a frame's side, with the plate's margin beyond it (not the plate's edge, the
        bumper beyond it, or the image's edge)."""
        if x2 - x1 < _ALONG_MIN_END_WIDTH * glyph_width or x1 <= 0 or x2 >= band.shape[1]:
            return False
        beyond = binary[:, x2 : x2 + margin] if outward > 0 else binary[:, max(0, x1 - margin) : x1]
        return beyond.size > 0 and float(beyond.mean()) < _ALONG_MAX_MARGIN_INK

    def glyph_at(x1: int, x2: int, row: list[np.ndarray]) -> np.ndarray | None:
        """The glyph box of the blob's widest run of columns beside the row's glyphs,
        if that is a glyph next to them."""
        x1, x2 = _uncovered(x1, x2, row)
        if not _ALONG_MIN_WIDTH * height <= x2 - x1 <= _ALONG_MAX_WIDTH * glyph_width:
            return None
        first, last = min(int(b[0]) for b in row), max(int(b[2]) for b in row)
        if x2 <= first and not (sides[0] and ends_row(x1, x2, -1)):
            return None
        if x1 >= last and not (sides[1] and ends_row(x1, x2, 1)):
            return None
        neighbour = min(row, key=lambda b: _span_gap(x1, x2, b))
        if _span_gap(x1, x2, neighbour) > _MAX_ALONG_GAP * height:
            return None
        box, _ = _missed_glyph(
            band,
            boxes,
            neighbour,
            (x1 + x2) / 2.0,
            (x2 - x1) / 2.0 + 1,
            band_top,
            dark=dark,
            bar_beside=True,
        )
        if box is None:
            return None
        # (The slot's one column of slack each side may reach a segmented neighbour.)
        box[0], box[2] = max(int(box[0]), x1), min(int(box[2]), x2)
        return box

    row = list(boxes)
    grown = True
    while grown:
        grown = False
        for x1, x2 in blobs:
            box = glyph_at(x1, x2, row)
            if box is not None:
                row.append(box)
                grown = True
    if len(row) == len(boxes):
        return boxes, False
    merged = np.array(row, dtype=boxes.dtype)
    merged = merged[np.argsort(merged[:, 0], kind="stable")]
    return merged, bool(merged[0, 0] < boxes[0, 0] or merged[-1, 2] > boxes[-1, 2])


def glyph_slots_in_gaps(
    band: np.ndarray, boxes: np.ndarray, band_top: int, *, dark: bool
) -> list[np.ndarray]:
    """Boxes of glyph-like ink in the gaps between a row's glyphs that hold one more
    glyph at the row's pitch, midway: a glyph that touched a dealer's line below it or
    its neighbour (a US "5TGN556"'s second "5") is no blob of its own. Each is tested as
    a missed glyph beyond the row's ends is, except that its ink may run on above or
    below, not both. A sticker or an emblem between a plate's blocks can pass as well
    (a dark red one does): only a glyph the recogniser reads there surely is kept."""
    pitch = row_pitch(boxes)
    if pitch is None:
        return []
    half_width = _half_width(boxes)
    found = []
    for left, right in zip(boxes, boxes[1:], strict=False):
        centres = (float(left[0] + left[2]) / 2.0, float(right[0] + right[2]) / 2.0)
        if not _ONE_SLOT_GAP[0] <= (centres[1] - centres[0]) / pitch <= _ONE_SLOT_GAP[1]:
            continue
        box, _ = _missed_glyph(
            band, boxes, left, sum(centres) / 2.0, half_width, band_top, dark=dark, bar_beside=True
        )
        if box is not None and box[0] >= left[2] and box[2] <= right[0]:
            found.append(box)
    return found


def _band_ink(
    band: np.ndarray, boxes: np.ndarray, band_top: int, height: float, *, dark: bool
) -> np.ndarray | None:
    """The row's inked pixels (1) within its glyphs' height (``height``, their median)
    less a sliver above and below, across the band: a frame's bars touching the glyphs
    fall away (None: too few rows)."""
    top, bottom = glyph_rows_at(boxes, float(np.mean((boxes[:, 0] + boxes[:, 2]) / 2.0)))
    sliver = max(1, round(_ALONG_SLIVER * height))
    top, bottom = max(0, top - band_top + sliver), min(band.shape[0], bottom - band_top - sliver)
    if bottom - top < 4:
        return None
    return cv2.adaptiveThreshold(
        band[top:bottom],
        1,
        cv2.ADAPTIVE_THRESH_MEAN_C,
        cv2.THRESH_BINARY_INV if dark else cv2.THRESH_BINARY,
        max(11, int(round(0.9 * height)) | 1),
        _ALONG_OFFSET,
    )


def _tall_blobs(binary: np.ndarray, height: float, glyph_width: float) -> list[tuple[int, int]]:
    """The columns (start, end) of the blobs of ``binary`` that stand nearly its full
    height, as wide and as filled as glyphs of a row ``height`` tall."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    return [
        (int(x), int(x + w))
        for x, _, w, h, area in stats[1:count]
        if h >= _ALONG_MIN_HEIGHT * binary.shape[0]
        and _ALONG_MIN_WIDTH * height <= w <= _ALONG_MAX_MERGED * glyph_width
        and _MIN_SLOT_FILL <= area / float(w * h) <= _MAX_SLOT_FILL
    ]


def _uncovered(x1: int, x2: int, row: list[np.ndarray]) -> tuple[int, int]:
    """The widest run of the columns ``x1``..``x2`` that no box of ``row`` covers."""
    covered = np.zeros(x2 - x1, bool)
    for box in row:
        covered[max(0, int(box[0]) - x1) : max(0, min(x2, int(box[2])) - x1)] = True
    best = (x1, x1)
    start = None
    for offset, taken in enumerate([*covered, True]):
        if not taken and start is None:
            start = offset
        elif taken and start is not None:
            if offset - start > best[1] - best[0]:
                best = (x1 + start, x1 + offset)
            start = None
    return best


def _span_gap(x1: int, x2: int, box: np.ndarray) -> int:
    """Columns between the span ``x1``..``x2`` and a box (negative: they overlap)."""
    return max(int(box[0]) - x2, x1 - int(box[2]))


def row_pitch(boxes: np.ndarray) -> float | None:
    """The centre-to-centre step of a row's glyphs (None: too few glyphs to tell)."""
    if len(boxes) < _MIN_GLYPHS_FOR_PITCH:
        return None
    centres = (boxes[:, 0] + boxes[:, 2]) / 2.0
    height = float(np.median(boxes[:, 3] - boxes[:, 1]))
    steps = np.diff(centres)
    steps = steps[steps < _MAX_PITCH * height]
    return float(np.median(steps)) if len(steps) else None


def _half_width(boxes: np.ndarray) -> float:
    """Half a typical glyph's width in a row: a missed glyph's slot spans twice this."""
    return float(np.median(boxes[:, 2] - boxes[:, 0])) / 2.0


def _missed_glyph(
    band: np.ndarray,
    boxes: np.ndarray,
    neighbour: np.ndarray,
    centre: float,
    half_width: float,
    band_top: int,
    *,
    dark: bool,
    bar_beside: bool = False,
) -> tuple[np.ndarray | None, bool]:
    """The box of a glyph centred near ``centre`` beside ``neighbour`` (the row's end
    glyph, or the glyph left of a gap), or None when no glyph's ink is there; and whether
    ink shaped like a glyph is there, but paler than the neighbour's (a glyph blurred
    thin, or an emblem). With ``bar_beside`` its ink may run on above or below (into a
    frame's bar), not both (a frame's side)."""
    # A slot the image's edge cuts through may hold a glyph the edge cuts off: its box
    # then reaches the edge.
    x1, x2 = round(centre - half_width), round(centre + half_width)
    cut = x1 < 0 or x2 > band.shape[1]
    x1, x2 = max(0, x1), min(band.shape[1], x2)
    if x2 - x1 < _MIN_SLOT_PX:
        return None, False
    top, bottom = glyph_rows_at(boxes, centre)
    top, bottom = max(0, top - band_top), min(band.shape[0], bottom - band_top)
    if bottom - top < 2:
        return None, False
    # Ink judged against the plate between the end glyph and the slot.
    start, stop = min(x1, int(neighbour[0])), max(x2, int(neighbour[2]))
    inked, ink, plate_ink, _ = ink_levels(band[:, start:stop], dark)
    slot = slice(x1 - start, x2 - start)
    beside = slice(int(neighbour[0]) - start, int(neighbour[2]) - start)
    glyph = inked[top:bottom, slot]
    # (What the edge leaves of a glyph may be one stroke, filled.)
    if not _MIN_SLOT_FILL <= float(glyph.mean()) <= (1.0 if cut else _MAX_SLOT_FILL):
        return None, False
    neighbour_ink = ink[top:bottom, beside][inked[top:bottom, beside]]
    pale = bool(neighbour_ink.size) and float(np.median(ink[top:bottom, slot][glyph])) - (
        plate_ink
    ) < _SAME_INK * (float(np.median(neighbour_ink)) - plate_ink)
    count, _, stats, _ = cv2.connectedComponentsWithStats(glyph.astype(np.uint8), connectivity=8)
    if count < 2 or stats[1:, cv2.CC_STAT_HEIGHT].max() < _MIN_BLOB_HEIGHT * (bottom - top):
        return None, False
    rows = max(2, round(_BEYOND_ROWS * (bottom - top)))
    runs_on = []
    for beyond in (slice(max(0, top - rows), top), slice(bottom, bottom + rows)):
        if inked[beyond, slot].size == 0:
            return None, False
        allowed = float(inked[beyond, beside].mean()) + _BEYOND_EXTRA_INK
        runs_on.append(float(inked[beyond, slot].mean()) > allowed)
    if all(runs_on) if bar_beside else any(runs_on):
        return None, False
    if pale:
        return None, True
    columns = np.flatnonzero(glyph.any(axis=0))
    box = [x1 + columns[0], band_top + top, x1 + columns[-1] + 1, band_top + bottom]
    return np.array(box, dtype=int), False


def glyph_rows_at(boxes: np.ndarray, x: float) -> tuple[int, int]:
    """The glyphs' top and bottom rows at column ``x``, on the lines through ``boxes``'
    tops and bottoms: a tilted plate's row runs up or down hill, and at its ends its
    glyphs stand above or below the row's median."""
    centres = (boxes[:, 0] + boxes[:, 2]) / 2.0
    if len(boxes) < 2 or float(np.ptp(centres)) == 0.0:
        return int(np.median(boxes[:, 1])), int(np.median(boxes[:, 3]))
    top = float(np.polyval(np.polyfit(centres, boxes[:, 1].astype(float), 1), x))
    bottom = float(np.polyval(np.polyfit(centres, boxes[:, 3].astype(float), 1), x))
    return round(top), round(bottom)


def ink_levels(crop: np.ndarray, dark: bool) -> tuple[np.ndarray, np.ndarray, float, float]:
    """How inked each pixel of a crop is (its darkness for ``dark`` text, else its
    lightness), which pixels are inked (past halfway between the plate's and the text's
    typical levels), and those two levels."""
    ink_u8 = 255 - crop if dark else crop
    ink = ink_u8.astype(np.int16)
    if ink.size == 0:
        return ink > 0, ink, 0.0, 0.0
    plate_ink, text_ink = percentiles(ink_u8, (10, 90))
    return ink > (plate_ink + text_ink) / 2, ink, plate_ink, text_ink
