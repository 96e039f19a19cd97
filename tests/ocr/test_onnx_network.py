"""The line recogniser's 8-bit ONNX build: which weights it is of, what it reads, its build."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

import ocr.model_loading
from ocr import onnx_network
from ocr.errors import OcrModelError
from ocr.model_loading import (
    RECOGNISER_WEIGHTS_PATH,
    RUNTIME_ENV,
    STOCK_WEIGHTS_FILE,
    load_easyocr,
    resolve_model_dir,
)
from ocr.reader import PlateReader

STOCK_WEIGHTS = Path(resolve_model_dir(None)) / STOCK_WEIGHTS_FILE


@pytest.fixture(scope="module")
def alphabet(plate_reader) -> str:
    return plate_reader.recogniser.alphabet


def _load_build(
    alphabet: str,
    *,
    path: Path = onnx_network.ONNX_RECOGNISER_PATH,
    weights: Path = STOCK_WEIGHTS,
) -> onnx_network.OnnxLineNetwork:
    return onnx_network.load(path, weights_path=weights, alphabet=alphabet, threads=1)


def test_the_shipped_build_is_of_the_installed_easyocr_weights(plate_reader, alphabet) -> None:
    network = _load_build(alphabet)
    assert network.metadata[onnx_network.SOURCE_SHA256_KEY] == onnx_network.file_sha256(
        STOCK_WEIGHTS
    )
    # The default reader runs it.
    assert plate_reader.runtime == "onnx"
    assert plate_reader.recogniser.runtime.startswith("ONNX Runtime, 8-bit")


def test_the_shipped_plate_row_build_is_of_the_shipped_fine_tuned_weights(alphabet) -> None:
    # Retraining ocr/models/recogniser.pt without rebuilding its ONNX build fails here.
    network = _load_build(
        alphabet,
        path=ocr.model_loading.ONNX_RECOGNISER_PATHS[False],
        weights=RECOGNISER_WEIGHTS_PATH,
    )
    assert network.metadata["source"] == RECOGNISER_WEIGHTS_PATH.name


def test_a_build_of_other_weights_is_refused(alphabet) -> None:
    with pytest.raises(OcrModelError, match="other weights.*rebuild"):
        _load_build(alphabet, weights=RECOGNISER_WEIGHTS_PATH)


def test_a_build_for_another_alphabet_is_refused(alphabet) -> None:
    with pytest.raises(OcrModelError, match="alphabet"):
        _load_build(alphabet[::-1])


def test_a_missing_or_corrupt_build_is_refused(tmp_path, alphabet) -> None:
    with pytest.raises(OcrModelError, match="no ONNX recogniser"):
        _load_build(alphabet, path=tmp_path / "none.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(onnx_network.ONNX_RECOGNISER_PATH.read_bytes()[:5000])
    with pytest.raises(OcrModelError, match="could not load"):
        _load_build(alphabet, path=corrupt)


def test_without_onnxruntime_a_build_cannot_load(monkeypatch, alphabet) -> None:
    # An edge box without onnxruntime: the reader logs this and reads in PyTorch.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(OcrModelError, match="onnxruntime is not installed"):
        _load_build(alphabet)


def test_without_a_build_of_its_weights_the_reader_reads_in_pytorch(
    monkeypatch, caplog, pk_crops
) -> None:
    for stock in (True, False):
        monkeypatch.setitem(
            ocr.model_loading.ONNX_RECOGNISER_PATHS, stock, Path("/nonexistent.onnx")
        )
    reader = PlateReader()
    with caplog.at_level(logging.WARNING, logger="ocr.model_loading"):
        runtime = reader.recogniser.runtime
    assert runtime.startswith("PyTorch")
    assert "runs in PyTorch" in caplog.text and "no ONNX recogniser" in caplog.text
    crop = pk_crops["Punjab-Plates_p_3.jpg"]
    assert reader.read_crop(crop.image_bgr).text == crop.plate


def test_an_unknown_runtime_is_a_clear_error(monkeypatch) -> None:
    with pytest.raises(OcrModelError, match=RUNTIME_ENV):
        PlateReader(runtime="tensorrt")
    monkeypatch.setenv(RUNTIME_ENV, "gpu")
    with pytest.raises(OcrModelError, match="'gpu'"):
        PlateReader()


def test_the_8_bit_build_reads_the_real_crops_as_pytorch_does(
    plate_reader, torch_plate_reader, pk_crops
) -> None:
    for name, crop in pk_crops.items():
        built = plate_reader.read_crop(crop.image_bgr)
        reference = torch_plate_reader.read_crop(crop.image_bgr)
        assert (built.text, built.candidates[:1]) == (reference.text, reference.candidates[:1]), (
            name
        )
        assert built.unreadable == reference.unreadable, name


def test_the_build_command_builds_a_network_of_the_weights_it_names(tmp_path, alphabet) -> None:
    from fixtures.build_recogniser_onnx import build, compare
    from fixtures.glyphs import plate_fonts
    from fixtures.plate_rows import rows

    fonts = plate_fonts()
    model = load_easyocr(resolve_model_dir(None), quantize=False).recognizer.float().eval()
    out = tmp_path / "built.onnx"
    metadata = {
        onnx_network.SOURCE_SHA256_KEY: onnx_network.file_sha256(STOCK_WEIGHTS),
        onnx_network.ALPHABET_KEY: alphabet,
    }
    calibration = [image for image, _ in rows(fonts, 16, seed=7)]
    float_path = build(model, out, calibration=calibration, metadata=metadata, workdir=tmp_path)
    network = _load_build(alphabet, path=out)
    assert network.metadata[onnx_network.SOURCE_SHA256_KEY] == metadata["source_sha256"]
    held_out = [image for image, _ in rows(fonts, 40, seed=8)]
    float_difference, agreement = compare(model, float_path, out, held_out)
    assert float_difference < 1e-3
    assert agreement >= 0.75
