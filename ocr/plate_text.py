"""From a plate crop's text rows to its text: cutting rows, trimming, correcting, scoring.

The recogniser reads each row of a plate; this module decides which glyphs belong to the
plate (margins hold borders and bolts), re-picks each character within its block from the
network's own odds, reads the Punjab year apart, and turns the result into a confidence.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr.formats import DIGITS, LETTERS, PUNJAB_DISTRICT_PREFIXES, ParsedPlate, parse_plate
from ocr.glyphs import character_crop
from ocr.localize import PlateLayout
from ocr.recognition import LineReading
from ocr.row_reach import (
    RowReach,
    glyph_rows_at,
    ink_levels,
    row_pitch,
    row_reach,
    with_glyphs_along,
)

# A round glyph in a letter block is far more often D/Q/C than O (PLATES.md): a soft prior.
_LETTER_PENALTIES = {"O": 0.3}
# A Punjab district plate's series begins with its district's code (PLATES.md); codes
# beyond the documented ones exist, so a series without one is less likely, not barred.
_UNKNOWN_DISTRICT_PRIOR = 0.2
# A reading outside every Pakistani format (or inside one only by its shape, with no
# colour, layout or word to confirm it) cannot be checked against any layout, and the
# recogniser is sure of wrong letters on such plates (a narrow W read as H at 0.95+): one
# frame of it stays below the default threshold (0.6) and goes to the warden with its
# candidates; frames of a track that agree can still lift it.
_UNKNOWN_FORMAT_FACTOR = 0.55
_UNCUED_FORMAT_FACTOR = 0.55
# A Pakistani plate of a rare shape (a Punjab series without a district code, a number
# of at most this many digits, a one-letter series with a number shorter than four
# digits) is believed this much less on one frame.
_RARE_PLATE_FACTOR = 0.75
_SHORT_NUMBER_DIGITS = 2
# A one-letter series is a Sindh plate's, numbered with four digits ("A-1234", PLATES.md).
_ONE_LETTER_SERIES_DIGITS = 4
# How much a character the network saw as the other kind (a digit where a letter must
# be) still counts: its class's share of the odds, to this power.
_CLASS_MASS_EXPONENT = 0.25
# Per character of difference between characters read and characters segmented.
_COUNT_MISMATCH_FACTOR = 0.75
# Glyphs a plate's edge or a bolt reads as.
_BORDER_GLYPHS = "I1J|!-"
# A glyph read beyond the segmented characters this surely, and no border-like glyph, is
# one of the plate's (the segmentation missed it): no format is read by dropping it.
_SURE_OUTSIDE_GLYPH = 0.85
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
# A row's glyphs (their median) narrower than this share of their height are widened to
# it before they are read, by at most this factor; a median needs this many glyphs.
GLYPH_ASPECT = 0.5
MAX_WIDENING = 1.6
_MIN_GLYPHS_FOR_ASPECT = 3
# How far (in character heights) a glyph's centre may lie outside a segmented character
# and still be that character (CTC peaks are placed to within one output frame).
_STRAY_TOLERANCE = 0.15
# Glyphs line up with the segmented characters when their peaks lie this close (in
# character heights) to the characters' centres: typically, and at the worst (a narrow
# I peaks ~0.6 before its centre).
_ALIGNED_MEDIAN_OFFSET = 0.35
_ALIGNED_MAX_OFFSET = 0.75
# At most this many glyphs read beyond the segmented characters at a row's ends (the
# plate's edge, a frame) leave the rest lined up with them.
_MAX_EDGE_EXTRAS = 2
# How far (a fraction of the row's width) outside the segmented span a glyph's peak lies
# before it counts as read in the margin.
_MARGIN_SLACK = 0.03
# A second look at a row adds this share of its height above and below (its glyphs come
# out at 1 / (1 + 2 * 0.25) = 2/3 of their first size).
_SECOND_LOOK_PAD = 0.25


@dataclass(frozen=True)
class RowCrop:
    """One text row of a plate, cut for the recogniser, with what segmentation saw in it."""

    image: np.ndarray
    role: str  # "line" (one-line plate), "series", "year" or "digits" (two-line plate)
    # Where the segmented characters lie, as fractions of the crop's width.
    span: tuple[float, float] = (0.0, 1.0)
    char_count: int = 0
    # Each segmented character's left and right edge, as fractions of the crop's width.
    char_spans: tuple[tuple[float, float], ...] = ()
    # The segmented characters' height, as a fraction of the crop's width.
    char_height_frac: float = 0.0
    # The crop before it was cut at the plate's border above or below (None: not cut).
    uncut: np.ndarray | None = None
    # Each segmented character cut out on its own (``glyphs.character_crop``), for the
    # glyph classifier.
    char_crops: tuple[np.ndarray, ...] = ()
    # Whether a segmented character, or a glyph the row reaches beyond them, touches the
    # image's edge: cut off there, it may be another character than it looks ("C" with
    # its top cut off reads "U"), or the image cuts the plate short.
    glyphs_cut: bool = False
    # Whether ink beyond an end of the row may be a glyph too pale to reach (``RowReach``).
    end_in_doubt: bool = False
    # Whether an end glyph is one the segmentation missed, found along the row's band
    # (``with_glyphs_along``): what hid it may hide one more beyond it.
    ends_found: bool = False

    def views(self) -> list[np.ndarray]:
        """The crops the recogniser reads: the row, and the row uncut when it was cut at
        the plate's border; each widened when the plate's font is condensed.

        The recogniser knows glyphs of common proportions: a condensed plate font (a US
        plate's glyphs, under half as wide as tall) comes out as other glyphs (a "W" read
        "H", a "6" read "G"), so its row is stretched to ``GLYPH_ASPECT``.
        """
        images = [self.image] if self.uncut is None else [self.image, self.uncut]
        if len(self.char_spans) < _MIN_GLYPHS_FOR_ASPECT:
            return images
        widths = [high - low for low, high in self.char_spans]
        aspect = float(np.median(widths)) / max(self.char_height_frac, 1e-6)
        factor = min(MAX_WIDENING, GLYPH_ASPECT / max(aspect, 1e-6))
        if factor <= 1.0:
            return images
        return [
            cv2.resize(image, None, fx=factor, fy=1.0, interpolation=cv2.INTER_CUBIC)
            for image in images
        ]

    def smaller(self) -> RowCrop:
        """The row with margin added above and below: its glyphs come out smaller in the
        recogniser's fixed-height input, where the network sees them at another scale
        (read alone: not also uncut)."""
        pad = round(_SECOND_LOOK_PAD * self.image.shape[0])
        image = cv2.copyMakeBorder(self.image, pad, pad, 0, 0, cv2.BORDER_REPLICATE)
        return replace(self, image=image, uncut=None)

    def drop_strays(self, line: LineReading) -> LineReading:
        """Drop glyphs read between the segmented characters but on none of them, while
        more were read than segmented: an emblem, a sticker or a dot between the
        characters, which the recogniser reads as a letter or digit.

        The glyph farthest from any segmented character goes first; a glyph on a
        character always stays, and so does one in the margins (a character the
        segmentation missed at the edge is as likely as a frame there; ``trim`` and the
        formats decide those).
        """
        if len(self.char_spans) < 2 or not line.char_x:
            return line
        tolerance = _STRAY_TOLERANCE * self.char_height_frac
        first, last = self.char_spans[0][0], self.char_spans[-1][1]
        distances = [_distance_to_spans(x, self.char_spans) for x in line.char_x]
        kept = [i for i, char in enumerate(line.text) if char.isalnum()]
        strays = sorted(
            (i for i in kept if distances[i] > tolerance and first < line.char_x[i] < last),
            key=lambda i: -distances[i],
        )
        excess = len(kept) - len(self.char_spans)
        dropped = set(strays[: max(0, excess)])
        if not dropped:
            return line
        return line.keep([i for i in range(len(line.text)) if i not in dropped])

    def lines_up(self, line: LineReading) -> bool:
        """Whether each alphanumeric glyph read is one segmented character, in order.

        As many glyphs as characters, typically near their character's centre and none
        as far as the next character: a count that matches by chance (the plate's edge
        read, another edge segmented) shifts every glyph by a character.
        """
        aligned = self.aligned_glyphs(line)
        return aligned is not None and len(aligned) == sum(char.isalnum() for char in line.text)

    def aligned_glyphs(self, line: LineReading) -> list[int] | None:
        """Indices of the alphanumeric glyphs read that line up one-to-one with the
        segmented characters: all of them, or all but a few read beyond the first or the
        last character (the plate's edge, a frame, a character the segmentation missed),
        wherever their CTC peaks fell. None when no such run lines up.
        """
        glyphs = [i for i, char in enumerate(line.text) if char.isalnum()]
        extra = len(glyphs) - len(self.char_spans)
        if not self.char_spans or not 0 <= extra <= _MAX_EDGE_EXTRAS:
            return None
        centres = np.array([(low + high) / 2 for low, high in self.char_spans])
        best: tuple[float, list[int]] | None = None
        for left in range(extra + 1):
            core = glyphs[left : len(glyphs) - (extra - left)]
            xs = np.array([line.char_x[i] for i in core])
            offsets = np.abs(xs - centres) / max(self.char_height_frac, 1e-6)
            median = float(np.median(offsets))
            if median > _ALIGNED_MEDIAN_OFFSET or offsets.max() > _ALIGNED_MAX_OFFSET:
                continue
            nearest = np.abs(xs[:, None] - centres[None, :]).argmin(axis=1)
            if not np.array_equal(nearest, np.arange(len(core))):
                # A run shifted by a character (with glyphs left over), or two glyphs in
                # one box and a stray box beside them, can pass for lined up: each glyph
                # must lie nearest its own character.
                continue
            if best is None or median < best[0]:
                best = (median, core)
        return None if best is None else best[1]

    def trim(self, line: LineReading) -> LineReading:
        """Drop the glyphs read beyond the segmented characters that are no character
        of the plate: border-like ones (a plate edge reads as I, 1 or J) and ones on a
        character already read (a "W" read "14"). Others are characters the segmentation
        missed, and stay."""
        if not line.char_x:
            return line
        left, right = self.outside_glyphs(line)
        tolerance = _STRAY_TOLERANCE * self.char_height_frac
        dropped = {
            i
            for i in left | right
            if line.text[i] in _BORDER_GLYPHS
            or (
                self.char_spans and _distance_to_spans(line.char_x[i], self.char_spans) <= tolerance
            )
        }
        return line.keep([i for i in range(len(line.text)) if i not in dropped])

    def outside_glyphs(self, line: LineReading) -> tuple[set[int], set[int]]:
        """Indices of the glyphs read left and right of the segmented characters.

        Where the glyphs line up with the characters (``aligned_glyphs``), those beyond
        the first and last of the run; else those whose peaks fall in the margins.
        """
        aligned = self.aligned_glyphs(line)
        if aligned is not None:
            return set(range(aligned[0])), set(range(aligned[-1] + 1, len(line.text)))
        low, high = self.span
        left = {i for i, x in enumerate(line.char_x) if x < low - _MARGIN_SLACK}
        right = {i for i, x in enumerate(line.char_x) if x > high + _MARGIN_SLACK}
        return left, right


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
    char_spans: tuple[tuple[float, float], ...] = ()
    char_crops: tuple[np.ndarray, ...] = ()
    if boxes is not None:
        char_spans = tuple(
            ((float(b[0]) - left) / crop_width, (float(b[2]) - left) / crop_width) for b in boxes
        )
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


def _distance_to_spans(x: float, spans: Sequence[tuple[float, float]]) -> float:
    """How far ``x`` lies outside the nearest span (0 inside one)."""
    return min(max(low - x, x - high, 0.0) for low, high in spans)


def choose_trim(
    rows: Sequence[RowCrop], lines: Sequence[LineReading], hints: Sequence[str]
) -> tuple[ParsedPlate, list[LineReading], bool]:
    """Decide which characters read in the margins belong to the plate.

    A glyph outside the segmented characters is either one the segmentation missed or
    the plate's edge. Each side of each row is tried with all of them and without the
    outermost one, two, ... of them; among the readings in a Pakistani format the one
    with the fewest border-like glyphs (I, 1, J) kept plus corrections wins, then the
    one keeping most other glyphs. A glyph read surely that is not border-like is never
    dropped: a foreign plate is not cut to a Pakistani format (US "5FEE732" is no Sindh
    "FEE-732"). Failing any format, border-like glyphs are dropped. The flag says another
    plate text was as plausible (the choice was a guess).
    """
    options_per_row: list[list[tuple[LineReading, int, int]]] = []
    for row, line in zip(rows, lines, strict=True):
        if row.role == "year":
            continue
        left, right = row.outside_glyphs(line)
        options = []
        for drop in _subsets_of_sides(left, right):
            if any(_is_sure_glyph(line, index) for index in drop):
                continue
            kept_outside = [line.text[i] for i in (left | right) - drop]
            border = sum(char in _BORDER_GLYPHS for char in kept_outside)
            option = line.keep([i for i in range(len(line.text)) if i not in drop])
            options.append((option, border, len(kept_outside) - border))
        options_per_row.append(options)
    best: tuple[tuple[int, int], ParsedPlate, list[LineReading]] | None = None
    valid: list[ParsedPlate] = []
    for combination in itertools.product(*options_per_row):
        chosen = [line for line, _, _ in combination]
        parsed = parse_plate("\n".join(line.text for line in chosen), hints=hints)
        if not parsed.is_pakistani:
            continue
        valid.append(parsed)
        border = sum(b for _, b, _ in combination)
        other = sum(o for _, _, o in combination)
        key = (-(border + parsed.corrections), other)
        if best is None or key > best[0]:
            best = (key, parsed, chosen)
    if best is not None:
        winner = best[1]
        ambiguous = any(
            other.text != winner.text and other.corrections <= winner.corrections for other in valid
        )
        return winner, best[2], ambiguous
    trimmed = [row.trim(line) for row, line in zip(rows, lines, strict=True) if row.role != "year"]
    parsed = parse_plate("\n".join(line.text for line in trimmed), hints=hints)
    return parsed, trimmed, False


def _is_sure_glyph(line: LineReading, index: int) -> bool:
    """Whether the glyph at ``index`` was read surely as no border-like glyph."""
    return (
        line.text[index] not in _BORDER_GLYPHS
        and line.char_confidences[index] >= _SURE_OUTSIDE_GLYPH
    )


def _subsets_of_sides(left: set[int], right: set[int]) -> list[set[int]]:
    """The glyphs a trim may drop: on each side none, or the outermost one, two, ...
    (the plate's edge lies beyond the characters the segmentation missed, never
    between them: "CS-96411", its last "1" the edge, is "CS-9641" or "CS-964")."""
    lefts, rights = sorted(left), sorted(right, reverse=True)
    return [
        set(lefts[:k]) | set(rights[:j])
        for k in range(len(lefts) + 1)
        for j in range(len(rights) + 1)
    ]


def year_from(line: LineReading) -> str:
    """The 2-digit registration year, or "" when the reading is not clearly two digits.

    Glyphs the recogniser is unsure of (the dash, a bolt, the plate edge) are ignored.
    """
    digits = []
    for index, char in enumerate(line.text):
        if not char.isalnum():
            continue
        digit, share, mass = line.best_in(index, DIGITS)
        if share * mass**_CLASS_MASS_EXPONENT >= 0.6 and line.char_confidences[index] >= 0.5:
            digits.append(digit)
    return "".join(digits) if len(digits) == 2 else ""


def colour_hints(image_bgr: np.ndarray, layout: PlateLayout) -> list[str]:
    """Layout and colour cues: yellow (Sindh) plates, the green strip of Punjab plates."""
    hints = ["two_line"] if layout.two_line else []
    x1, y1, x2, y2 = layout.xyxy
    h = int(layout.char_height_px)
    hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
    plate = hsv[max(0, y1 - h // 2) : y2 + h // 2, x1:x2]
    if plate.size:
        hue, saturation = plate[:, :, 0], plate[:, :, 1]
        if float(np.mean((hue >= 12) & (hue <= 35) & (saturation >= 90))) > 0.35:
            hints.append("yellow")
    strip = hsv[y1:y2, max(0, x1 - 2 * h) : x1]
    if strip.size:
        hue, saturation = strip[:, :, 0], strip[:, :, 1]
        if float(np.mean((hue >= 40) & (hue <= 90) & (saturation >= 60))) > 0.3:
            hints.append("green_strip")
    return hints


def refine_with_odds(
    parsed: ParsedPlate, lines: Sequence[LineReading], hints: Sequence[str]
) -> tuple[ParsedPlate, tuple[float, ...]]:
    """Re-pick each character within its block (letter or digit) from the network's odds.

    Table corrections (8 -> B) guess; the recogniser's second choice at that character
    knows. Applies when the recognised characters line up one-to-one with the parse.
    """
    chars: list[tuple[LineReading, int]] = []
    for line in lines:
        chars.extend((line, i) for i, char in enumerate(line.text) if char.isalnum())
    if not parsed.is_pakistani:
        confidences = tuple(line.char_confidences[i] for line, i in chars)
        return parsed, confidences
    blocks = [
        (LETTERS, len(parsed.letters)),
        (DIGITS, len(parsed.year)),
        (DIGITS, len(parsed.digits)),
    ]
    if parsed.suffix:
        blocks.append((LETTERS, len(parsed.suffix)))
    if sum(n for _, n in blocks) != len(chars):
        confidences = tuple(line.char_confidences[i] for line, i in chars)
        return parsed, confidences
    out: list[str] = []
    confidences_list: list[float] = []
    position = 0
    for alphabet, count in blocks:
        block = []
        for _ in range(count):
            line, index = chars[position]
            penalties = _LETTER_PENALTIES if alphabet == LETTERS else None
            char, share, mass = line.best_in(index, alphabet, penalties=penalties)
            block.append(char)
            # A character the network saw as the other kind (a digit where a letter
            # must be) is a guess, however clear the best letter is among letters.
            confidences_list.append(share * mass**_CLASS_MASS_EXPONENT)
            position += 1
        out.append("".join(block))
    if parsed.format == "punjab":
        letter_chars = chars[: len(out[0])]
        out[0], shares = _with_district_prior(letter_chars, out[0])
        for i, share in enumerate(shares):
            # A letter the prior chose over the network's pick is as sure as its odds.
            confidences_list[i] = min(confidences_list[i], share)
    letters, year, digits = out[0], out[1], out[2]
    suffix = out[3] if parsed.suffix else ""
    separator = "\n" if parsed.year or "two_line" in hints else " "
    top = f"{letters} {year}".strip()
    rebuilt = parse_plate(f"{top}{separator}{digits} {suffix}".strip(), hints=hints)
    if not rebuilt.is_pakistani:
        return parsed, tuple(confidences_list)
    return rebuilt, tuple(confidences_list)


def _with_district_prior(
    chars: Sequence[tuple[LineReading, int]], letters: str
) -> tuple[str, list[float]]:
    """The series most likely under the network's odds and the district-code prior.

    Every letter is weighed at every position: the prior matters most where the network
    is unsure, and there its odds are flat (an "M" it rates fifth at 5 %).

    Returns the series and, per letter, its share of the odds among the letters (1.0
    where the letter read stands).
    """
    if not letters or letters.startswith(PUNJAB_DISTRICT_PREFIXES):
        return letters, [1.0] * len(letters)
    odds = [_letter_odds(line, index) for line, index in chars]
    # The network's own pick starts with no known code (else it stood above).
    best, best_score = letters, _UNKNOWN_DISTRICT_PRIOR * _series_odds(letters, odds)
    for prefix in PUNJAB_DISTRICT_PREFIXES:
        if len(prefix) > len(letters):
            continue
        series = prefix + letters[len(prefix) :]
        score = _series_odds(series, odds)
        if score > best_score:
            best, best_score = series, score
    return best, [
        odds[i][char] if char != read else 1.0
        for i, (char, read) in enumerate(zip(best, letters, strict=True))
    ]


def _series_odds(series: str, odds: Sequence[dict[str, float]]) -> float:
    return math.prod(position.get(char, 0.0) for char, position in zip(series, odds, strict=True))


def _letter_odds(line: LineReading, index: int) -> dict[str, float]:
    """Each letter's share of the network's (penalised) letter odds at a character."""
    probs = line.char_probs[index]
    odds = {
        char: float(probs[position]) * _LETTER_PENALTIES.get(char, 1.0)
        for char in LETTERS
        if (position := line.alphabet.find(char)) >= 0
    }
    total = sum(odds.values()) or 1.0
    return {char: share / total for char, share in odds.items()}


def plate_confidence(
    char_confidences: Sequence[float], parsed: ParsedPlate, segmented_chars: int
) -> float:
    """Confidence that the parsed plate is right, from its characters and its consistency
    with what the segmentation saw."""
    if not char_confidences:
        return 0.0
    # The weakest character decides whether the plate is right.
    weakest = min(char_confidences)
    mean = float(np.mean(char_confidences))
    confidence = (weakest * mean) ** 0.5
    read_chars = read_char_count(parsed)
    confidence *= format_ceiling(parsed) * _rarity(parsed)
    if not parsed.is_pakistani:
        text = parsed.text
        if len(text) < 4 or len(text) > 9:
            # A fragment (one row of a two-line plate) or running text, not a plate.
            confidence *= 0.3
        elif text.isdigit() or text.isalpha():
            confidence *= 0.6
    # Characters read but not segmented (or segmented but not read) mean a part of the
    # plate was missed or something beside it was read.
    confidence *= _COUNT_MISMATCH_FACTOR ** min(2, abs(read_chars - segmented_chars))
    return float(confidence)


def _rarity(parsed: ParsedPlate) -> float:
    """How far a Pakistani plate's own text vouches for it: a Punjab series without a
    district code, a number of one or two digits, or a one-letter series with fewer
    than four digits is rare on the road (PLATES.md), and is what a blurred plate reads
    as when a character is lost ("EE-6731" for "LEE-6731", "ATZ-97" for "ATZ-972",
    "S-036" for "BCS-036"): one frame of it is no sure answer; frames of a track that
    agree can still lift it."""
    if not parsed.is_pakistani:
        return 1.0
    factor = 1.0
    if parsed.format == "punjab" and not parsed.letters.startswith(PUNJAB_DISTRICT_PREFIXES):
        factor *= _RARE_PLATE_FACTOR
    short_number = len(parsed.digits) <= _SHORT_NUMBER_DIGITS or (
        len(parsed.letters) == 1 and len(parsed.digits) < _ONE_LETTER_SERIES_DIGITS
    )
    if short_number:
        factor *= _RARE_PLATE_FACTOR
    return factor


def format_ceiling(parsed: ParsedPlate) -> float:
    """The most confidence a reading can claim as far as its format can vouch for it:
    1 for a Pakistani format its colour, layout or words confirm, less for one only its
    shape suggests (a foreign plate has that shape too) or for no Pakistani format."""
    if not parsed.is_pakistani:
        return _UNKNOWN_FORMAT_FACTOR
    return 1.0 if parsed.format_cued else _UNCUED_FORMAT_FACTOR


def read_char_count(parsed: ParsedPlate) -> int:
    """How many characters a reading holds, the Punjab year apart."""
    if not parsed.is_pakistani:
        return len(parsed.text)
    return len(parsed.letters) + len(parsed.digits) + len(parsed.suffix)
