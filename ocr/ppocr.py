"""A third opinion on each plate row: PP-OCR's line recogniser, trained on real photographs.

EasyOCR's recogniser (fine-tuned here on synthetic plate rows) and the glyph classifier
(trained on synthetic glyphs) learnt plate fonts from drawings; US fonts they never saw
fool both the same way: California's open "4" is an "L" to both, a "1" without a flag
an "I". PaddleOCR's PP-OCRv6 line recogniser learnt from real photographed text and
reads many of those as they are. Its weights ship inside the ``rapidocr`` wheel (no
download); this module runs them in ONNX Runtime on the same row crops, masked to the
plate's symbols (its lower-case letters count for their capitals), and returns a
``LineReading`` in the line recogniser's alphabet, so that its odds can be pooled with
the others character by character (``glyphs.with_line_odds``).

The weights are checked against the SHA-256 they were measured with (``MODEL_SHA256``):
other weights (another ``rapidocr`` release) are not used, and the reader logs why.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import cv2
import numpy as np

from ocr.errors import OcrModelError
from ocr.onnx_network import cpu_session, file_sha256
from ocr.recognition import LineReading, decode_ctc

MODEL_FILE = "PP-OCRv6_rec_small.onnx"
# The weights of rapidocr 3.10.0, on which PPOCR_SHARE was measured (docs/anpr.md).
MODEL_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"
INPUT_HEIGHT_PX = 48
# Its share of a character's pooled odds, after the recogniser's and the glyph
# classifier's have been pooled. Where its reading and theirs disagreed on a character
# of a foreign plate read at its true length (O against 0 left out: the labels mix
# them), it was right 35 times of 38 on the US photos and 5 of 9 on the European ones.
PPOCR_SHARE = 0.8
_METADATA_KEY = "character"


def model_path() -> Path:
    """Where the installed ``rapidocr`` keeps the weights (found without importing it)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrModelError("rapidocr is not installed: pip install rapidocr")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / MODEL_FILE


class PpOcrRecogniser:
    """PP-OCR's line recogniser in an ONNX Runtime session, read in ``alphabet``."""

    def __init__(self, alphabet: str, *, threads: int, path: Path | None = None) -> None:
        """Raises ``OcrModelError`` when the weights are missing or not those measured."""
        path = path or model_path()
        if not path.is_file():
            raise OcrModelError(f"no PP-OCR weights at {path}: install rapidocr==3.10.0")
        digest = file_sha256(path)
        if digest != MODEL_SHA256:
            raise OcrModelError(
                f"{path} is not the PP-OCR build this reader was measured with "
                f"(SHA-256 {digest[:12]}…): install rapidocr==3.10.0"
            )
        self._session = cpu_session(path, threads=threads)
        self._input = self._session.get_inputs()[0].name
        metadata = self._session.get_modelmeta().custom_metadata_map
        # Output 0 is the CTC blank, then the characters, then a space.
        symbols = ["", *metadata[_METADATA_KEY].splitlines(), " "]
        where = {symbol: index for index, symbol in enumerate(symbols) if symbol}
        self.alphabet = alphabet
        self._outputs = [
            [where[s] for s in dict.fromkeys((char, char.lower())) if s in where]
            for char in alphabet
        ]

    def read(self, line_gray: np.ndarray, allowlist: str) -> LineReading:
        """Recognise one grayscale line image; symbols outside ``allowlist`` are masked."""
        height, width = line_gray.shape[:2]
        new_width = max(1, math.ceil(INPUT_HEIGHT_PX * width / max(height, 1)))
        resized = cv2.resize(line_gray, (new_width, INPUT_HEIGHT_PX), interpolation=cv2.INTER_CUBIC)
        # One line at its own width: rapidocr pads a batch's lines to 320 px at least,
        # which a line read alone does not need (measured: a third of its time saved, see
        # docs/anpr.md); grey repeated over the three channels.
        scaled = resized.astype(np.float32) / 127.5 - 1.0
        batch = np.broadcast_to(scaled, (1, 3, *scaled.shape)).copy()
        probs = self._session.run(None, {self._input: batch})[0][0]
        mapped = np.zeros((len(probs), len(self.alphabet) + 1), dtype=np.float32)
        mapped[:, 0] = probs[:, 0]
        for column, (char, outputs) in enumerate(zip(self.alphabet, self._outputs, strict=True)):
            if outputs and char in allowlist:
                mapped[:, column + 1] = probs[:, outputs].sum(axis=1)
        mapped /= np.maximum(mapped.sum(axis=1, keepdims=True), 1e-12)
        return decode_ctc(mapped, self.alphabet)
