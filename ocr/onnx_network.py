"""The line recogniser's network run from its 8-bit ONNX build in ONNX Runtime.

EasyOCR runs its recogniser in PyTorch, convolutions in float32. On a CPU without native
bfloat16 those convolutions are most of a plate's reading time. The build
(``python -m fixtures.build_recogniser_onnx``) exports the same network from EasyOCR's
weights, quantises its convolutions to 8 bits on synthetic plate rows and its LSTMs as
EasyOCR does, and records the SHA-256 of the weights it came from. It is used only for
those weights: ``load`` refuses a build of other weights, so a changed weights file is
never read through a stale network.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ocr.errors import OcrModelError

ONNX_RECOGNISER_PATH = Path(__file__).resolve().parent / "models" / "recogniser.int8.onnx"
# Metadata keys of the build.
SOURCE_SHA256_KEY = "source_sha256"
ALPHABET_KEY = "alphabet"
INPUT_NAME = "line"


class OnnxLineNetwork:
    """An ONNX Runtime session of the recogniser network: a ``(1, 1, 64, W)`` float32
    model input in, ``(T, C)`` logits out (index 0 the CTC blank)."""

    def __init__(self, path: Path, *, threads: int) -> None:
        self._session = cpu_session(path, threads=threads)
        self.path = path
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)

    def logits(self, scaled: np.ndarray) -> np.ndarray:
        """Logits for one model input (``recognition.model_scale`` of a ``(64, W)`` line)."""
        (output,) = self._session.run(None, {INPUT_NAME: scaled[None, None]})
        return np.asarray(output[0])


def cpu_session(path: Path, *, threads: int) -> Any:
    """An ONNX Runtime session of the network at ``path`` on the CPU, ``threads`` within
    an operator (one at a time across operators: plate lines are small inputs).

    Raises:
        OcrModelError: when onnxruntime is missing or cannot load the file.
    """
    try:
        import onnxruntime
    except ImportError as error:
        raise OcrModelError(f"onnxruntime is not installed ({error})") from error
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own untyped errors
        raise OcrModelError(f"could not load the ONNX network {path} ({error})") from error


def load(path: Path, *, weights_path: Path, alphabet: str, threads: int) -> OnnxLineNetwork:
    """The ONNX build at ``path``, checked to be of the weights at ``weights_path``.

    Raises:
        OcrModelError: when the build is missing or unreadable, or is of other weights or
            another alphabet than the recogniser it stands in for.
    """
    if not path.is_file():
        raise OcrModelError(f"no ONNX recogniser at {path}")
    network = OnnxLineNetwork(path, threads=threads)
    source = network.metadata.get(SOURCE_SHA256_KEY)
    if source != file_sha256(weights_path):
        raise OcrModelError(
            f"{path.name} was built from other weights than {weights_path} "
            f"(SHA-256 {source}); rebuild it with python -m fixtures.build_recogniser_onnx"
        )
    if network.metadata.get(ALPHABET_KEY) != alphabet:
        raise OcrModelError(f"{path.name} was built for another alphabet than the recogniser's")
    return network


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes ("" when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()
