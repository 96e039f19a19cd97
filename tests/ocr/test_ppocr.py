"""PP-OCR's line recogniser as a third opinion on each plate row (``ocr.ppocr``)."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import glyphs
from ocr.errors import OcrModelError
from ocr.formats import DIGITS, LETTERS
from ocr.model_loading import load_ppocr
from ocr.ppocr import PpOcrRecogniser
from ocr.recognition import LineReading

from .conftest import OPENALPR, openalpr_row, plate_in_name

PLATE_SYMBOLS = LETTERS + DIGITS + "- "


@pytest.fixture(scope="module")
def ppocr(plate_reader) -> PpOcrRecogniser:
    assert plate_reader.ppocr is not None, "PP-OCR's weights are installed with nigran"
    return plate_reader.ppocr


@pytest.mark.parametrize(
    "name",
    [
        "us1_4PCI264.png",  # California's open "4", an "L" to both other networks
        "5b562a61_91A4ZA.png",  # a "1" without a flag, an "I" to both
        "wts-lg-000197_2MFZ746.png",  # its last "4" open at the top
    ],
)
def test_a_us_plate_both_other_networks_misread_is_read_with_ppocr(plate_reader, name) -> None:
    # Without PP-OCR these read "LPCI26L", "9IA4ZA" and "2MFZ7L6". A foreign plate has no
    # format to confirm it, so it stays a warden's candidate, never a sure answer.
    reading = plate_reader.read_crop(cv2.imread(str(OPENALPR / name)))
    assert reading.unreadable
    assert reading.candidates[0][0] == plate_in_name(name)


def test_it_reads_a_real_plate_row_in_the_recognisers_alphabet(plate_reader, ppocr) -> None:
    row = openalpr_row("us1_4PCI264.png")
    line = ppocr.read(row.image, PLATE_SYMBOLS)
    assert line.text == "4PCI264"
    assert line.alphabet == plate_reader.recogniser.alphabet
    assert line.char_probs.shape == (7, len(line.alphabet))
    assert all(0.0 < x < 1.0 for x in line.char_x)
    assert line.char_x == tuple(sorted(line.char_x))


def test_symbols_outside_the_allowlist_are_never_read(ppocr) -> None:
    row = openalpr_row("us1_4PCI264.png")
    assert set(ppocr.read(row.image, DIGITS).text) <= set(DIGITS)


def test_a_blank_row_reads_nothing(ppocr) -> None:
    assert ppocr.read(np.full((40, 160), 200, np.uint8), PLATE_SYMBOLS).text == ""


def test_weights_other_than_those_measured_are_refused(plate_reader, tmp_path: Path) -> None:
    other = tmp_path / "PP-OCRv6_rec_small.onnx"
    other.write_bytes(b"not the measured weights")
    with pytest.raises(OcrModelError, match="rapidocr==3.10.0"):
        PpOcrRecogniser(plate_reader.recogniser.alphabet, threads=1, path=other)


def test_without_its_weights_plates_are_read_without_it(monkeypatch, caplog) -> None:
    monkeypatch.setattr("ocr.ppocr.model_path", lambda: Path("/nonexistent/rec.onnx"))
    with caplog.at_level(logging.WARNING, logger="ocr.model_loading"):
        assert load_ppocr("0123456789") is None
    assert "without PP-OCR" in caplog.text


def _line(text: str, alphabet: str) -> LineReading:
    """A reading of ``text``, each character at 0.999."""
    probs = np.full((len(text), len(alphabet)), 1e-4, np.float32)
    for i, char in enumerate(text):
        probs[i, alphabet.index(char)] = 0.999
    probs /= probs.sum(axis=1, keepdims=True)
    return LineReading(text, tuple(float(p.max()) for p in probs), probs, alphabet)


def test_its_odds_lead_a_pooled_character_without_making_it_sure() -> None:
    alphabet = DIGITS + LETTERS
    ours = _line("LPCI26L", alphabet)
    theirs = _line("4PCI264", alphabet)
    pooled = glyphs.with_line_odds(ours, theirs, share=0.8)
    assert pooled.text == "4PCI264"
    assert pooled.char_confidences[0] < 0.99
    assert min(pooled.char_confidences[1:6]) > 0.99


def test_a_reading_of_another_length_is_not_pooled() -> None:
    alphabet = DIGITS + LETTERS
    ours = _line("LPCI26L", alphabet)
    assert glyphs.with_line_odds(ours, _line("PCI264", alphabet), share=0.8) is ours
