"""A plate row cut for the recogniser (``RowCrop``), and which of the glyphs read in it
are its segmented characters: those that line up with them, strays between them (an
emblem, a dot) and glyphs in its margins (the plate's edge, a bolt, a missed character).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr.recognition import LineReading

# Glyphs a plate's edge or a bolt reads as.
BORDER_GLYPHS = "I1J|!-"
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
# A glyph read at least this surely on glyph-like ink in a gap that holds one more
# glyph (``RowCrop.slot_spans``) is a character the segmentation missed, not an emblem.
_SURE_SLOT_GLYPH = 0.9
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
    # Whether segmentation found the characters dark on a light ground (the glyph
    # classifier's crops are turned to that; a crop's own margins can mislead, as a
    # plate's dark band above its characters does).
    dark_text: bool = True
    # Glyph-like ink in a gap between two segmented characters that holds one more at
    # the row's pitch (``row_reach.glyph_slots_in_gaps``), as fractions of the width.
    slot_spans: tuple[tuple[float, float], ...] = ()

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
            (
                i
                for i in kept
                if distances[i] > tolerance
                and first < line.char_x[i] < last
                and not self._in_a_glyph_slot(line, i)
            ),
            key=lambda i: -distances[i],
        )
        excess = len(kept) - len(self.char_spans)
        dropped = set(strays[: max(0, excess)])
        if not dropped:
            return line
        return line.keep([i for i in range(len(line.text)) if i not in dropped])

    def _in_a_glyph_slot(self, line: LineReading, index: int) -> bool:
        """Whether the glyph read at ``index`` is read surely on glyph-like ink in a gap
        that holds one more glyph (``slot_spans``): a character the segmentation missed."""
        return (
            bool(self.slot_spans)
            and line.char_confidences[index] >= _SURE_SLOT_GLYPH
            and _distance_to_spans(line.char_x[index], self.slot_spans)
            <= _STRAY_TOLERANCE * self.char_height_frac
        )

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
            if line.text[i] in BORDER_GLYPHS
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


def _distance_to_spans(x: float, spans: Sequence[tuple[float, float]]) -> float:
    """How far ``x`` lies outside the nearest span (0 inside one)."""
    return min(max(low - x, x - high, 0.0) for low, high in spans)
