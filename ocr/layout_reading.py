"""What a layout's recognised rows spell: the plate reading with its confidence, the
glyph classifier's reading weighed against the recogniser's, and how two readings of
one image weigh against each other (a rival reading dissents)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from ocr import glyphs
from ocr.formats import ParsedPlate, canonical
from ocr.fusion import FrameReading
from ocr.localize import PlateLayout
from ocr.plate_text import (
    choose_trim,
    plate_confidence,
    read_char_count,
    refine_with_odds,
    year_from,
)
from ocr.ppocr import PPOCR_SHARE
from ocr.recognition import LineReading
from ocr.row_crop import RowCrop

# When another plate text fitted the read glyphs as well, the choice was a guess.
_AMBIGUOUS_TRIM_FACTOR = 0.7
# A reading of characters the image's edge cuts off is no sure answer.
_CUT_GLYPHS_FACTOR = 0.7
# Another reading of the same image that spells another plate dissents when it stands at
# least this share as high as the surest (it is no stray: a rival reading).
_RIVAL_SHARE = 0.5


@dataclass(frozen=True)
class LayoutReading:
    """A layout's rows read as one plate, with its confidence and what dissents from it."""

    parsed: ParsedPlate
    confidence: float
    char_confidences: tuple[float, ...]
    hints: tuple[str, ...]
    layout: PlateLayout
    # As many characters read as segmented (a glyph split or merged in two differs).
    consistent: bool = True
    # The rows read again smaller, when that read another plate.
    second_look: LayoutReading | None = None
    # A segmented character touches the image's edge (it may be cut off there).
    cut: bool = False

    @property
    def standing(self) -> float:
        """The confidence once a dissenting second look is weighed."""
        return self.frame().standing

    def frame(self) -> FrameReading:
        """The reading as one frame's, with its dissenting second look."""
        second = self.second_look.frame() if self.second_look is not None else None
        return FrameReading(
            self.parsed,
            self.confidence,
            self.char_confidences,
            self.hints,
            self.consistent,
            second_look=second,
        )


def are_rivals(best: FrameReading, other: FrameReading) -> bool:
    """Whether ``other`` (another reading of the same image: another layout, crop or
    scale) spells another plate and stands at least ``_RIVAL_SHARE`` as high as ``best``,
    which has no dissent yet.

    Two readings of one image that disagree are no sure answer: a blurred plate read
    "ACD-71" from one layout and "ACD-714" from another has lost a character in one.
    """
    return (
        best.second_look is None
        and bool(other.key)
        and other.key != best.key
        and other.standing >= _RIVAL_SHARE * best.standing
    )


_Reading = TypeVar("_Reading", FrameReading, LayoutReading)


def as_dissent(reading: _Reading) -> _Reading:
    """A reading as another's dissenting second look: at its own standing, alone."""
    return replace(reading, confidence=reading.standing, second_look=None)


def with_rival_layout(best: LayoutReading, read: Sequence[LayoutReading]) -> LayoutReading:
    """``best`` with the surest of the other layouts' readings (``read``) that spells
    another plate as its dissent, if the two are rivals (``are_rivals``)."""
    others = [r for r in read if canonical(r.parsed.text) != canonical(best.parsed.text)]
    if not others:
        return best
    other = max(others, key=lambda r: r.standing)
    if not are_rivals(best.frame(), other.frame()):
        return best
    return replace(best, second_look=as_dissent(other))


def layout_weight(score: float) -> float:
    """How far a layout's plate-likeness lets its reading count (a reading is at most 1)."""
    return 0.7 + 0.3 * score


def differs(reading: LayoutReading, other: LayoutReading, *, same_length: bool = False) -> bool:
    """Whether ``other`` spells another plate (of the same length, if asked)."""
    first, second = canonical(reading.parsed.text), canonical(other.parsed.text)
    return bool(second) and second != first and (len(second) == len(first) or not same_length)


def interpret(
    rows: Sequence[RowCrop],
    lines: Sequence[LineReading],
    hints: tuple[str, ...],
    layout: PlateLayout,
) -> LayoutReading | None:
    """The plate a layout's recognised rows spell, with its confidence."""
    parsed, text_lines, ambiguous = choose_trim(rows, lines, hints)
    parsed, char_confidences = refine_with_odds(parsed, text_lines, hints)
    year_lines = [line for row, line in zip(rows, lines, strict=True) if row.role == "year"]
    if parsed.is_pakistani and year_lines and not parsed.year:
        parsed = replace(parsed, year=year_from(year_lines[0]))
    if not parsed.text:
        return None
    segmented = sum(row.char_count for row in rows if row.role != "year")
    confidence = plate_confidence(char_confidences, parsed, segmented)
    confidence *= layout_weight(layout.score)
    if ambiguous:
        confidence *= _AMBIGUOUS_TRIM_FACTOR
    # A row's end in doubt (ink beyond it that may be a glyph) is as unsure as one the
    # image's edge cuts: a wider crop may read the plate whole. So is a Pakistani
    # reading's end glyph that the segmentation missed (a foreign reading is no sure
    # answer anyway: there the doubt would only rank a fuller reading below a shorter).
    cut = any(
        row.glyphs_cut or row.end_in_doubt or (row.ends_found and parsed.is_pakistani)
        for row in rows
    )
    if cut:
        confidence *= _CUT_GLYPHS_FACTOR
    consistent = read_char_count(parsed) == segmented
    return LayoutReading(parsed, confidence, char_confidences, hints, layout, consistent, cut=cut)


def recognised_lines(
    rows: Sequence[RowCrop],
    recognised: Sequence[LineReading],
    odds: Sequence[np.ndarray | None],
) -> list[LineReading]:
    """The rows' readings without glyphs read between their characters, each
    character re-rated by the glyph classifier (``odds``, per row) where the reading
    lines up with the segmented characters (but for glyphs read beyond them), then by
    PP-OCR where it read the row (``LineReading.ppocr``) with as many characters."""
    lines = [row.drop_strays(line) for row, line in zip(rows, recognised, strict=True)]
    rated = []
    for row, line, row_odds, read in zip(rows, lines, odds, recognised, strict=True):
        aligned = row.aligned_glyphs(line) if row_odds is not None else None
        if row_odds is not None and aligned is not None:
            line = glyphs.with_glyph_odds(line, row_odds, aligned)
        if read.ppocr is not None:
            line = glyphs.with_line_odds(line, read.ppocr, share=PPOCR_SHARE)
        rated.append(line)
    return rated


def weighed_by_glyphs(
    rows: Sequence[RowCrop],
    lines: Sequence[LineReading],
    reading: LayoutReading,
    odds: Sequence[np.ndarray | None],
) -> LayoutReading:
    """A reading of fewer characters than were segmented, weighed against the glyph
    classifier's reading of one character per segmented character (the recogniser's
    decoding merges two alike characters, "55" read "5", or skips a faint one).

    When the classifier's reading is the surer, it leads and the recogniser's
    dissents, so the frame is no surer than they agree; when it is the recogniser's
    with a character doubled, it dissents. A row read with more
    characters than segmented is left alone: there the segmentation more likely
    missed or merged a character, and a reading of its blobs would miss it too.
    """
    counts = [
        (_alphanumerics(line), row.char_count)
        for row, line in zip(rows, lines, strict=True)
        if row.role != "year"
    ]
    if any(read > segmented for read, segmented in counts) or not any(
        read < segmented for read, segmented in counts
    ):
        return reading
    glyph_lines = [
        glyphs.glyph_line(row_odds, row.char_spans, line.alphabet)
        if row_odds is not None and _alphanumerics(line) < row.char_count
        else line
        for row, line, row_odds in zip(rows, lines, odds, strict=True)
    ]
    other = interpret(rows, glyph_lines, reading.hints, reading.layout)
    if other is None or not other.consistent or not differs(reading, other):
        return reading
    if other.confidence > reading.confidence:
        return replace(other, second_look=reading)
    if _doubled_once(canonical(reading.parsed.text), canonical(other.parsed.text)):
        # The recogniser's decoding merges two alike characters ("5700" read "570"):
        # the classifier's reading with both is the likelier then, however unsure its
        # glyphs are (a Punjab "0" is no "0" it learnt), so the reading is no sure answer.
        return replace(reading, second_look=other)
    return reading


def _doubled_once(text: str, longer: str) -> bool:
    """Whether ``longer`` is ``text`` with one of its characters written twice."""
    return len(longer) == len(text) + 1 and any(
        longer[i] == longer[i + 1] and longer[:i] + longer[i + 1 :] == text
        for i in range(len(longer) - 1)
    )


def _alphanumerics(line: LineReading) -> int:
    return sum(char.isalnum() for char in line.text)
