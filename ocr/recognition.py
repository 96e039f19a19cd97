"""Text-line recognition with EasyOCR's recogniser network, line by line, with per-character odds.

``Reader.recognize()`` returns one string and one confidence per box. Plates need more:
the probability of every alternative at each character, so that a letter block can pick
its best letter and a digit block its best digit (format-aware correction from the
network's own odds rather than from a fixed table). This module runs the same network
EasyOCR loads, on the same 64-px-high grayscale input, and decodes CTC greedily.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import torch

from ocr.images import percentiles
from ocr.onnx_network import OnnxLineNetwork

MODEL_HEIGHT_PX = 64
# Wider lines carry no plate; capping keeps a stray wide crop from slowing the reading.
MAX_WIDTH_PX = MODEL_HEIGHT_PX * 9


@dataclass(frozen=True)
class LineReading:
    """What the recogniser saw on one text line.

    ``char_probs`` is ``(N, C)``: for each decoded character, the probability of every
    symbol of ``alphabet`` at the frame where it peaked.
    """

    text: str
    char_confidences: tuple[float, ...]
    char_probs: np.ndarray
    alphabet: str
    # Centre of each character as a fraction of the line image's width.
    char_x: tuple[float, ...] = ()
    # PP-OCR's reading of the same line image (``ocr.ppocr``), where it was read: pooled
    # in by ``layout_reading.recognised_lines``. Not kept by ``keep``.
    ppocr: LineReading | None = None

    def keep(self, indices: Sequence[int]) -> LineReading:
        """The reading with only the characters at ``indices``."""
        chosen = list(indices)
        return LineReading(
            "".join(self.text[i] for i in chosen),
            tuple(self.char_confidences[i] for i in chosen),
            self.char_probs[chosen] if chosen else self.char_probs[:0],
            self.alphabet,
            tuple(self.char_x[i] for i in chosen) if self.char_x else (),
        )

    @property
    def confidence(self) -> float:
        """Geometric mean of the character confidences (0 for an empty reading)."""
        if not self.char_confidences:
            return 0.0
        logs = [math.log(max(c, 1e-6)) for c in self.char_confidences]
        return float(math.exp(sum(logs) / len(logs)))

    def best_in(
        self, index: int, allowed: str, *, penalties: dict[str, float] | None = None
    ) -> tuple[str, float, float]:
        """The most probable symbol from ``allowed`` at character ``index``.

        Returns the symbol, its share of the (penalised) odds of the ``allowed`` symbols,
        and the total probability the network gave to ``allowed`` there. ``penalties``
        scale the odds of single symbols (a soft prior).
        """
        probs = self.char_probs[index]
        best_char, best_p, total, mass = "", -1.0, 0.0, 0.0
        for char in allowed:
            position = self.alphabet.find(char)
            if position < 0:
                continue
            mass += float(probs[position])
            p = float(probs[position]) * (penalties or {}).get(char, 1.0)
            total += p
            if p > best_p:
                best_char, best_p = char, p
        share = best_p / total if total > 0 else 0.0
        return best_char, share, mass / (float(probs.sum()) or 1.0)


class LineRecogniser:
    """Wraps the recogniser network of a loaded ``easyocr.Reader``, run by PyTorch or, given
    ``network``, from the network's ONNX build (``ocr.onnx_network``)."""

    def __init__(self, reader: Any, network: OnnxLineNetwork | None = None) -> None:
        # Channels-last convolutions run ~30 % faster on the CPU (same outputs).
        self._model = reader.recognizer.to(memory_format=torch.channels_last)
        self._device = reader.device
        self._network = network
        features = self._model.FeatureExtraction
        if self._device == "cpu" and _bf16_convolutions() and not isinstance(features, _Bfloat16):
            self._model.FeatureExtraction = _Bfloat16(features)
        # Index 0 of the network output is the CTC blank; symbol i is character[i - 1].
        self.alphabet: str = "".join(reader.character)

    @property
    def runtime(self) -> str:
        """What runs the network, in words (benchmarks print it)."""
        if self._network is not None:
            return f"ONNX Runtime, 8-bit ({self._network.path.name})"
        features = self._model.FeatureExtraction
        return (
            f"PyTorch, {'bfloat16' if isinstance(features, _Bfloat16) else 'float32'} convolutions"
        )

    def read(self, lines_gray: Sequence[np.ndarray], allowlist: str) -> list[LineReading]:
        """Recognise grayscale line images, each on its own.

        A batch would make lines change each other's odds: the network's LSTM quantises
        its activations over the whole batch, and a batch is padded to its widest line
        (which also makes a narrow line, a Punjab year, cost as much as a wide one).

        Args:
            lines_gray: ``(H, W)`` uint8 crops, one text line each.
            allowlist: the symbols that may be output; others are masked before decoding.
        """
        mask = self._symbol_mask(allowlist)
        return [self._read_line(model_input(line), mask) for line in lines_gray]

    def _read_line(self, image: np.ndarray, mask: np.ndarray) -> LineReading:
        """Recognise one ``(64, W)`` model input."""
        probs = self._probabilities(model_scale(image)) * mask
        probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
        return decode_ctc(probs, self.alphabet)

    def _probabilities(self, scaled: np.ndarray) -> np.ndarray:
        """``(T, C)`` symbol probabilities at each output frame of one model input."""
        if self._network is not None:
            logits = self._network.logits(scaled)
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            return np.asarray(exp / exp.sum(axis=1, keepdims=True))
        with torch.inference_mode():
            logits = self._model(
                torch.from_numpy(scaled[None, None])
                .to(self._device)
                .contiguous(memory_format=torch.channels_last),
                None,
            )
            return np.asarray(torch.softmax(logits[0], dim=1).cpu().numpy())

    def _symbol_mask(self, allowlist: str) -> np.ndarray:
        """Which network outputs may be decoded: the CTC blank and ``allowlist``."""
        mask = np.zeros(len(self.alphabet) + 1, dtype=bool)
        mask[0] = True
        for char in set(allowlist):
            position = self.alphabet.find(char)
            if position >= 0:
                mask[position + 1] = True
        return mask


def decode_ctc(probs: np.ndarray, alphabet: str) -> LineReading:
    """Greedy CTC decoding of ``(T, len(alphabet) + 1)`` probabilities (index 0 the
    blank, symbol i ``alphabet[i - 1]``) that span one line image."""
    best = probs.argmax(axis=1)
    frame_width_frac = 1.0 / max(len(probs), 1)
    chars: list[str] = []
    confidences: list[float] = []
    vectors: list[np.ndarray] = []
    positions: list[float] = []
    previous = 0
    for frame, symbol in enumerate(best):
        if symbol != 0 and symbol != previous:
            chars.append(alphabet[symbol - 1])
            confidences.append(float(probs[frame, symbol]))
            vectors.append(probs[frame, 1:])
            positions.append((frame + 0.5) * frame_width_frac)
        elif symbol != 0 and symbol == previous and probs[frame, symbol] > confidences[-1]:
            confidences[-1] = float(probs[frame, symbol])
            vectors[-1] = probs[frame, 1:]
        previous = symbol
    char_probs = np.stack(vectors) if vectors else np.zeros((0, len(alphabet)))
    return LineReading("".join(chars), tuple(confidences), char_probs, alphabet, tuple(positions))


BF16_ENV = "NIGRAN_OCR_BF16"


class _Bfloat16(torch.nn.Module):
    """A float32 module run in bfloat16 (inputs cast in, outputs cast back)."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module.to(torch.bfloat16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x.to(torch.bfloat16)).float()


def _bf16_convolutions() -> bool:
    """Whether the CPU runs bfloat16 convolutions natively (AVX-512 BF16, AMX).

    There the recogniser's convolutions, ~80 % of its time, run ~45 % faster; its
    readings on the real and generated plates are unchanged. Elsewhere bfloat16 would be
    emulated (slower): float32 stays. ``NIGRAN_OCR_BF16=0`` keeps float32 everywhere, for
    readings that are bit-for-bit the same on every machine.
    """
    if os.environ.get(BF16_ENV, "1") == "0" or not torch.backends.mkldnn.is_available():
        return False
    supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(supported()) if supported is not None else False


def model_scale(images: np.ndarray) -> np.ndarray:
    """Model inputs (``model_input``, one or a stack) as the network takes them: float32
    in [-1, 1]. Training and reading must agree on it."""
    return images.astype(np.float32) / 127.5 - 1.0


def model_input(line: np.ndarray) -> np.ndarray:
    """A line resized to the model's height (width in proportion, capped), contrast stretched."""
    height, width = line.shape[:2]
    new_width = int(
        min(
            MAX_WIDTH_PX,
            max(MODEL_HEIGHT_PX // 2, math.ceil(MODEL_HEIGHT_PX * width / max(height, 1))),
        )
    )
    return cv2.resize(_stretch(line), (new_width, MODEL_HEIGHT_PX), interpolation=cv2.INTER_CUBIC)


def _stretch(gray: np.ndarray) -> np.ndarray:
    """Stretch contrast between the 5th and 95th percentiles (dim, hazy plates)."""
    low, high = percentiles(gray, (5, 95))
    if high - low < 8:
        return gray
    stretched = (gray.astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(stretched, 0, 255).astype(np.uint8)
