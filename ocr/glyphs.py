"""A second opinion on each segmented plate character: a small glyph classifier.

EasyOCR's line recogniser reads text of common fonts; plate fonts fool it in ways no
plate format can undo on a foreign plate: a California "5" is an "S" to it at 0.98, a
Texas "W" an "H", a condensed "6" a "G". Segmentation already cuts each character out
(``RowCrop.char_crops``); this classifier, trained on glyphs of many fonts rendered as
segmentation cuts them (``python -m fixtures.train_glyphs``), rates each one on its own,
and its odds are weighed with the recogniser's where the two line up (``with_glyph_odds``).

The weights ship in ``ocr/models/glyphs.pt`` (a few hundred kB) and load once per
process with the plate reader.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ocr.errors import OcrModelError
from ocr.formats import DIGITS, LETTERS
from ocr.images import percentiles
from ocr.recognition import LineReading

GLYPH_SYMBOLS = DIGITS + LETTERS
# The classifier's last class: a cut that is no one character (part of one, two run
# together, the plate's edge, bare ground).
NO_CHARACTER = len(GLYPH_SYMBOLS)
INPUT_PX = 32
WEIGHTS_PATH = Path(__file__).resolve().parent / "models" / "glyphs.pt"
# Columns added on each side of a segmented character, in character heights (a blob's
# box can miss a faint stroke at its edge), and rows above and below it.
CUT_PAD = 0.06
_CUT_MARGIN_Y = 0.2
# The classifier's share of a character's pooled odds (the recogniser has the rest).
# Where the two disagreed on a character of a plate read at its true length, the
# classifier was right 128 times of 167 on the European photos and 148 of 179 on the
# US ones (fonts the recogniser never learnt: a "4" open at the top read "L", a "5"
# read "S"), the recogniser all 7 times on the Pakistani crops, whose formats settle
# its letter-or-digit doubts anyway. Two parts in three: a share of 0.8 lost Pakistani
# plates ("U-4250" read "U42SO").
CLASSIFIER_SHARE = 2.0 / 3.0
_ODDS_FLOOR = 1e-9


class GlyphNet(nn.Module):
    """Three convolution stages and a linear head: ``(N, 1, 32, 32)`` -> ``(N, 37)`` logits
    (``GLYPH_SYMBOLS`` and ``NO_CHARACTER``)."""

    def __init__(self, classes: int = len(GLYPH_SYMBOLS) + 1) -> None:
        super().__init__()

        def stage(inputs: int, outputs: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(inputs, outputs, 3, padding=1, bias=False),
                nn.BatchNorm2d(outputs),
                nn.ReLU(inplace=True),
                nn.Conv2d(outputs, outputs, 3, padding=1, bias=False),
                nn.BatchNorm2d(outputs),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            )

        self.features = nn.Sequential(stage(1, 16), stage(16, 32), stage(32, 64))
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(64 * 4 * 4, 128),
            nn.ReLU(inplace=True),
            nn.Linear(128, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def glyph_input(crop_gray: np.ndarray, *, light_ink: bool | None = None) -> np.ndarray:
    """A character crop as the classifier sees it: ``(32, 32)`` uint8, aspect kept, dark
    ink on a light ground, contrast stretched.

    The crop is one segmented character with a margin around it (``character_crop``).
    ``light_ink`` says whether its ink is lighter than its ground (None: judged from
    the crop alone).
    """
    gray = crop_gray if crop_gray.ndim == 2 else cv2.cvtColor(crop_gray, cv2.COLOR_BGR2GRAY)
    low, high = percentiles(gray, (2, 98))
    stretched = np.clip((gray.astype(np.float32) - low) * (255.0 / max(high - low, 8.0)), 0, 255)
    if light_ink if light_ink is not None else is_light_ink(stretched):
        stretched = 255.0 - stretched
    height, width = stretched.shape
    scale = INPUT_PX / max(height, width, 1)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = cv2.resize(stretched, size, interpolation=cv2.INTER_AREA)
    canvas = np.full((INPUT_PX, INPUT_PX), 255.0, dtype=np.float32)
    top, left = (INPUT_PX - size[1]) // 2, (INPUT_PX - size[0]) // 2
    canvas[top : top + size[1], left : left + size[0]] = resized
    return canvas.astype(np.uint8)


def glyph_tensor(inputs: np.ndarray) -> torch.Tensor:
    """``(N, 32, 32)`` ``glyph_input`` images as the network takes them, in training and
    in use alike: ``(N, 1, 32, 32)`` float32 in [-1, 1]."""
    return torch.from_numpy(inputs[:, None].astype(np.float32) / 127.5 - 1.0)


def is_light_ink(gray: np.ndarray) -> bool:
    """Whether the text of a row crop (or one character's crop) is lighter than its
    ground: the rows above and below it (the margins, mostly ground) are nearer the
    crop's dark extreme than its light one.

    Judged on a whole row, a character's crop that takes in the plate's dark edge or
    border is not taken for light ink on a dark ground.
    """
    rows = max(1, gray.shape[0] // 8)
    ground = float(np.median(np.concatenate([gray[:rows].ravel(), gray[-rows:].ravel()])))
    dark, light = percentiles(gray, (5, 95))
    return ground - dark < light - ground


def character_crop(
    gray: np.ndarray, box_xyxy: Sequence[float], char_height_px: float
) -> np.ndarray:
    """One segmented character cut from the plate image: its box, ``CUT_PAD`` character
    heights wider on each side, with a margin of a fifth of a character height above
    and below (the character's own box: on a tilted row, a row's band cuts off the
    bottom of the characters at one end and the top at the other, an "E" into an "F").
    """
    height, width = gray.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box_xyxy[:4])
    pad_x, pad_y = CUT_PAD * char_height_px, _CUT_MARGIN_Y * char_height_px
    left, right = max(0, int(x1 - pad_x)), min(width, math.ceil(x2 + pad_x))
    top, bottom = max(0, int(y1 - pad_y)), min(height, math.ceil(y2 + pad_y))
    return gray[top : max(bottom, top + 1), left : max(right, left + 1)]


class GlyphClassifier:
    """The trained ``GlyphNet``: per-character odds over ``GLYPH_SYMBOLS``."""

    def __init__(self, weights_path: Path = WEIGHTS_PATH) -> None:
        self.model = GlyphNet()
        try:
            state = torch.load(weights_path, map_location="cpu", weights_only=True)
        except (FileNotFoundError, RuntimeError) as error:
            raise OcrModelError(
                f"could not load the glyph classifier from {weights_path} ({error}); "
                "reinstall nigran or retrain it with python -m fixtures.train_glyphs"
            ) from error
        self.model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        )
        self.model.eval()
        _fold_batch_norms(self.model)
        # Channels-last convolutions with the batch norms folded in: the same odds (to
        # ~1e-9) in half the time.
        self.model.to(memory_format=torch.channels_last)

    def odds(self, crops: Sequence[np.ndarray], *, light_ink: bool | None = None) -> np.ndarray:
        """``(N, 36)`` probabilities, one row per character crop (in ``GLYPH_SYMBOLS``);
        ``light_ink`` as ``glyph_input`` takes it.

        What the classifier takes for no one character it has no opinion on: that
        share is spread evenly over the symbols.
        """
        if not crops:
            return np.zeros((0, len(GLYPH_SYMBOLS)), dtype=np.float32)
        batch = glyph_tensor(np.stack([glyph_input(crop, light_ink=light_ink) for crop in crops]))
        with torch.inference_mode():
            logits = self.model(batch.contiguous(memory_format=torch.channels_last))
            probs = torch.softmax(logits, dim=1).numpy()
        symbols, undecided = probs[:, :NO_CHARACTER], probs[:, NO_CHARACTER:]
        return symbols + undecided / NO_CHARACTER


def _fold_batch_norms(model: nn.Module) -> None:
    """Fold each batch norm into the convolution before it (an evaluating model's norms
    are fixed scales and shifts)."""
    for block in model.modules():
        if not isinstance(block, nn.Sequential):
            continue
        layers = list(block)
        for index, (conv, norm) in enumerate(zip(layers, layers[1:], strict=False)):
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                block[index] = fuse_conv_bn_eval(conv, norm)
                block[index + 1] = nn.Identity()


def with_glyph_odds(
    line: LineReading, odds: np.ndarray, positions: Sequence[int] | None = None
) -> LineReading:
    """The line with each alphanumeric character re-rated by the glyph classifier too.

    ``odds`` holds one row of ``GLYPH_SYMBOLS`` probabilities per character of ``line``
    at ``positions`` (default: every alphanumeric one), in order (the caller checked
    that they line up with the segmented characters). Each character's odds become the
    weighted geometric mean of the recogniser's and the classifier's
    (``CLASSIFIER_SHARE``), renormalised (neither is independent evidence: both look at
    the same pixels): where the two agree the character stands, where they differ the
    stronger wins with the confidence left to it, so a character the two see
    differently is no sure answer.
    """
    return _pooled(line, odds, positions, share=CLASSIFIER_SHARE)


def with_line_odds(line: LineReading, other: LineReading, *, share: float) -> LineReading:
    """The line with each alphanumeric character re-rated by another network's reading of
    the same row (``other``, in the same alphabet) where the two read as many
    alphanumeric characters, ``other`` weighing ``share`` of the pooled odds.

    Odds are floored at 1e-9 first: a network sure of one symbol leaves the others
    none (float32 underflows), which would veto the other network outright.
    """
    theirs = [i for i, char in enumerate(other.text) if char.isalnum()]
    # Columns of symbols the alphabet lacks (-1) are never read: ``_pooled`` skips them.
    odds = other.char_probs[theirs][:, _columns_in(other.alphabet)]
    return _pooled(line, odds, None, share=share, floor=_ODDS_FLOOR)


def _pooled(
    line: LineReading,
    odds: np.ndarray,
    positions: Sequence[int] | None,
    *,
    share: float,
    floor: float = 0.0,
) -> LineReading:
    """``line``'s characters at ``positions`` (default: its alphanumeric ones) pooled
    with ``odds`` (rows over ``GLYPH_SYMBOLS``) by a weighted geometric mean."""
    if positions is None:
        positions = [i for i, char in enumerate(line.text) if char.isalnum()]
    if len(positions) != len(odds) or not positions:
        return line
    columns = _columns_in(line.alphabet)
    known = columns >= 0
    probs = line.char_probs.copy()
    text = list(line.text)
    confidences = list(line.char_confidences)
    for row, index in enumerate(positions):
        pooled = (
            np.maximum(probs[index, columns[known]], floor) ** (1.0 - share)
            * np.maximum(odds[row, known], floor) ** share
        )
        total = float(pooled.sum())
        if total <= 0.0:
            continue
        pooled /= total
        # The line's other symbols (a dash, a space) keep none of this character's odds.
        probs[index] = 0.0
        probs[index, columns[known]] = pooled
        best = int(np.argmax(pooled))
        text[index] = GLYPH_SYMBOLS[int(np.flatnonzero(known)[best])]
        confidences[index] = float(pooled[best])
    return replace(line, text="".join(text), char_confidences=tuple(confidences), char_probs=probs)


def glyph_line(
    odds: np.ndarray, char_spans: Sequence[tuple[float, float]], alphabet: str
) -> LineReading:
    """A row read by the glyph classifier alone: one character per segmented character.

    For a row the recogniser's reading does not line up with (two alike characters
    merged by its decoding, "55" read "5"; a faint character skipped).
    """
    columns = _columns_in(alphabet)
    known = columns >= 0
    probs = np.zeros((len(odds), len(alphabet)), dtype=np.float32)
    probs[:, columns[known]] = odds[:, known]
    best = odds.argmax(axis=1)
    return LineReading(
        "".join(GLYPH_SYMBOLS[i] for i in best),
        tuple(float(odds[row, i]) for row, i in enumerate(best)),
        probs,
        alphabet,
        tuple((low + high) / 2 for low, high in char_spans),
    )


def _columns_in(alphabet: str) -> np.ndarray:
    """Where each of ``GLYPH_SYMBOLS`` sits in a recogniser's ``alphabet`` (-1: absent)."""
    return np.array([alphabet.find(symbol) for symbol in GLYPH_SYMBOLS])
