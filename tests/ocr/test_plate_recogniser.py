"""The line recogniser fine-tuned on synthetic plate rows, and its training data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fixtures.glyphs import plate_fonts
from fixtures.plate_rows import rows
from fixtures.train_recogniser import train
from ocr.errors import OcrModelError
from ocr.model_loading import (
    RECOGNISER_ENV,
    RECOGNISER_WEIGHTS_PATH,
    load_easyocr,
    resolve_model_dir,
)
from ocr.reader import _PLATE_SYMBOLS, PlateReader
from ocr.recognition import MODEL_HEIGHT_PX
from tests.ocr.conftest import openalpr_row


@pytest.fixture(scope="module")
def fonts() -> list[Path]:
    found = plate_fonts()
    if not found:
        pytest.fail("no plate fonts installed: bash scripts/install_system_packages.sh")
    return found


def test_synthetic_rows_are_recogniser_inputs_labelled_with_plate_text(fonts) -> None:
    samples = rows(fonts, 40, seed=3)
    alphabet = "".join(load_easyocr(resolve_model_dir(None)).character)
    for image, label in samples:
        assert image.dtype == np.uint8 and image.shape[0] == MODEL_HEIGHT_PX
        assert label and label == label.strip()
        assert set(label) <= set(_PLATE_SYMBOLS) and all(char in alphabet for char in label)
    # Blocks apart (a dash, a space for a gap or an emblem) and rows of one block both occur.
    assert any(" " in label or "-" in label for _, label in samples)
    assert any(label.isalnum() for _, label in samples)


def test_synthetic_rows_are_seeded(fonts) -> None:
    first, again, other = rows(fonts, 5, seed=11), rows(fonts, 5, seed=11), rows(fonts, 5, seed=12)
    assert [label for _, label in first] == [label for _, label in again]
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(first, again, strict=True))
    assert [label for _, label in first] != [label for _, label in other]


def test_training_changes_the_weights_but_not_the_batch_norm_statistics(fonts) -> None:
    reader = load_easyocr(resolve_model_dir(None), quantize=False)
    model = reader.recognizer
    before = {key: value.clone() for key, value in model.state_dict().items()}
    train(model, "".join(reader.character), rows(fonts, 64, seed=5), steps=2, seed=0, log=False)
    after = model.state_dict()
    statistics = [key for key in before if "running_" in key]
    weights = [key for key in before if key.endswith("weight") and "running" not in key]
    assert statistics and all(torch.equal(before[key], after[key]) for key in statistics)
    assert any(not torch.equal(before[key], after[key]) for key in weights)
    assert not model.training


def _conv_weights(reader: PlateReader) -> dict[str, torch.Tensor]:
    return {
        name.replace("FeatureExtraction.module.", "FeatureExtraction."): value.float()
        for name, value in reader.easyocr_reader.recognizer.state_dict().items()
        if name.startswith("FeatureExtraction") and name.endswith("weight") and value.dim() == 4
    }


def test_a_reader_carries_the_fine_tuned_weights_by_default(
    plate_reader, stock_plate_reader
) -> None:
    shipped = torch.load(RECOGNISER_WEIGHTS_PATH, map_location="cpu", weights_only=True)
    tuned, stock = _conv_weights(plate_reader), _conv_weights(stock_plate_reader)
    # The convolutions are not quantised (they may run in bfloat16): the shipped weights
    # to within rounding, farther from EasyOCR's own.
    for key, weights in tuned.items():
        to_shipped = float((weights - shipped[key].float()).abs().mean())
        to_stock = float((weights - stock[key]).abs().mean())
        assert to_shipped < 0.5 * to_stock, key
    # EasyOCR's own are asked for (NIGRAN_OCR_RECOGNISER=easyocr).
    assert not plate_reader.stock_recogniser and stock_plate_reader.stock_recogniser
    # Each reads from the ONNX build of its own weights.
    assert plate_reader.recogniser.runtime.endswith("(recogniser-plates.int8.onnx)")
    assert stock_plate_reader.recogniser.runtime.endswith("(recogniser.int8.onnx)")


def test_the_recogniser_is_chosen_by_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(RECOGNISER_ENV, "easyocr")
    assert PlateReader().stock_recogniser
    monkeypatch.setenv(RECOGNISER_ENV, "plates")
    assert not PlateReader().stock_recogniser
    monkeypatch.setenv(RECOGNISER_ENV, "english")
    with pytest.raises(OcrModelError, match=RECOGNISER_ENV):
        PlateReader()


def test_a_condensed_texan_w_is_read_as_a_w_where_easyocrs_weights_read_an_h(
    plate_reader, stock_plate_reader
) -> None:
    row = openalpr_row("wts-lg-000144_CWW2245.png")
    tuned = plate_reader._read_row(row).text.replace("-", "").replace(" ", "")
    stock = stock_plate_reader._read_row(row).text.replace("-", "").replace(" ", "")
    assert "H" in stock and "W" not in stock
    assert tuned.startswith("CWW")
