"""Plate rows: glyphs read off the segmented characters, and how sure a reading is (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from ocr.formats import canonical, parse_plate
from ocr.fusion import DEFAULT_MIN_CONFIDENCE
from ocr.plate_text import RowCrop, plate_confidence
from ocr.recognition import LineReading

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _reading(text: str, char_x: list[float]) -> LineReading:
    probs = np.zeros((len(text), len(ALPHABET)))
    for i, char in enumerate(text):
        if char in ALPHABET:
            probs[i, ALPHABET.index(char)] = 1.0
    return LineReading(text, (0.9,) * len(text), probs, ALPHABET, tuple(char_x))


# Seven characters segmented as on a Slovak plate "RK[emblem]346AL": a gap after K.
SPANS = (
    (0.05, 0.13),
    (0.15, 0.23),
    (0.35, 0.43),
    (0.45, 0.53),
    (0.55, 0.63),
    (0.65, 0.73),
    (0.75, 0.83),
)


def _row(spans=SPANS) -> RowCrop:
    return RowCrop(np.zeros((10, 10), np.uint8), "line", (0.05, 0.83), len(spans), spans, 0.1)


def test_it_drops_an_emblem_read_between_the_characters() -> None:
    line = _reading("RKE346AL", [0.09, 0.19, 0.29, 0.39, 0.49, 0.59, 0.69, 0.79])
    assert _row().drop_strays(line).text == "RK346AL"


def test_it_keeps_every_glyph_when_no_more_were_read_than_segmented() -> None:
    # The segmentation missed a character: the glyph in the gap is that character.
    line = _reading("RK3346A", [0.09, 0.19, 0.29, 0.39, 0.49, 0.59, 0.69])
    assert _row().drop_strays(line).text == "RK3346A"


@pytest.mark.parametrize(
    ("text", "char_x"),
    [
        ("RK346AL1", [0.09, 0.19, 0.39, 0.49, 0.59, 0.69, 0.79, 0.95]),  # right margin
        ("ERK346AL", [0.01, 0.09, 0.19, 0.39, 0.49, 0.59, 0.69, 0.79]),  # left margin
    ],
)
def test_it_leaves_glyphs_in_the_margins_to_the_formats(text: str, char_x: list[float]) -> None:
    assert _row().drop_strays(_reading(text, char_x)).text == text


def test_a_dash_does_not_count_as_a_read_character() -> None:
    line = _reading("RK-346AL", [0.09, 0.19, 0.29, 0.39, 0.49, 0.59, 0.69, 0.79])
    assert _row().drop_strays(line).text == "RK-346AL"


@pytest.mark.parametrize("raw", ["RK576AH", "CHL 9084"])
def test_one_sure_reading_no_format_vouches_for_stays_below_the_threshold(raw: str) -> None:
    # Unknown format, and a Pakistani shape with no colour, layout or word to confirm it.
    parsed = parse_plate(raw)
    assert not parsed.format_cued
    assert plate_confidence((0.99,) * len(canonical(raw)), parsed, len(canonical(raw))) < (
        DEFAULT_MIN_CONFIDENCE
    )


def test_a_cued_sure_reading_passes_the_threshold() -> None:
    parsed = parse_plate("CHL 9084", hints=("yellow",))
    assert plate_confidence((0.99,) * 7, parsed, 7) >= DEFAULT_MIN_CONFIDENCE
