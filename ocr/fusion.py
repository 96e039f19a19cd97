"""Fuse a track's per-frame plate readings into one honest answer.

Frames vote per character (weighted by each character's confidence) among readings of
the most common length; the fused text's confidence grows with agreeing frames and
shrinks with the weight of frames that read something else. A frame that read one row
of a two-line plate alone counts for the plate it is a row of, not as a rival answer.
Below the threshold the answer is ``unreadable`` and the best candidates go to the
warden.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ocr.formats import ParsedPlate, canonical, parse_plate

DEFAULT_MIN_CONFIDENCE = 0.6
_MAX_CANDIDATES = 5


@dataclass(frozen=True)
class FrameReading:
    """One frame's reading of a plate: parsed text and per-character confidences."""

    parsed: ParsedPlate
    confidence: float
    char_confidences: tuple[float, ...] = ()
    hints: tuple[str, ...] = ()
    # False when the frame read more or fewer characters than it segmented.
    consistent: bool = True
    # What a second look at the same crop read instead, when it read something else:
    # a dissenting reading of this frame, never an agreeing one.
    second_look: FrameReading | None = None

    @property
    def key(self) -> str:
        return canonical(self.parsed.text)

    @property
    def standing(self) -> float:
        """The confidence once a dissenting second look is weighed, as ``fuse`` weighs
        it for a lone frame: for choosing between readings of one frame."""
        if self.second_look is None:
            return self.confidence
        return _fused_confidence(self.key, [self, self.second_look], None)

    def scaled(self, factor: float) -> FrameReading:
        """The reading (and its second look) with confidences scaled by ``factor``."""
        second = self.second_look.scaled(factor) if self.second_look is not None else None
        return replace(self, confidence=self.confidence * factor, second_look=second)


@dataclass(frozen=True)
class FusedReading:
    parsed: ParsedPlate | None
    confidence: float
    unreadable: bool
    candidates: tuple[tuple[str, float], ...]
    best_index: int


def fuse(
    readings: Sequence[FrameReading], *, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> FusedReading:
    """Combine readings of one plate from several frames.

    ``best_index`` points at the reading whose crop best shows the fused text. A
    reading's dissenting second look counts as one more reading of its frame.
    """
    looks = [(i, look) for i, r in enumerate(readings) for look in (r, r.second_look) if look]
    usable = [(i, r) for i, r in looks if r.key]
    if not usable:
        return FusedReading(None, 0.0, True, (), 0)
    by_text: dict[str, float] = defaultdict(float)
    examples: dict[str, tuple[int, FrameReading]] = {}
    for index, reading in usable:
        by_text[reading.key] += reading.confidence
        if reading.key not in examples or reading.confidence > examples[reading.key][1].confidence:
            examples[reading.key] = (index, reading)
    fragments = _row_fragments(by_text)
    for fragment, fuller in fragments.items():
        by_text[fuller] += by_text.pop(fragment)
    voted = _character_vote([r for _, r in usable if r.key not in fragments])
    if voted is not None and voted.key not in examples:
        best_frame = max(usable, key=lambda item: item[1].confidence)[0]
        examples[voted.key] = (best_frame, voted)
        by_text[voted.key] = voted.confidence
    if voted is not None and min(voted.char_confidences) > 0.5:
        # A majority at every position: the vote is the reading, even if no frame had it whole.
        winner = voted.key
    else:
        winner = max(by_text, key=lambda key: (by_text[key], examples[key][1].confidence))
    confidence = _fused_confidence(winner, [r for _, r in usable], voted)
    total = sum(by_text.values()) or 1.0
    ranked = sorted(by_text.items(), key=lambda item: -item[1])
    candidates = tuple(
        (examples[key][1].parsed.text, round(weight / total, 3))
        for key, weight in ranked[:_MAX_CANDIDATES]
    )
    best_index, best = examples[winner]
    return FusedReading(
        best.parsed, confidence, confidence < min_confidence, candidates, best_index
    )


def _row_fragments(by_text: dict[str, float]) -> dict[str, str]:
    """The texts that are one row of another text alone, each with that fuller text
    (the weightiest of them).

    A frame that found only a two-line plate's digits row (or its series) read a
    fragment: "7768" on four frames is no rival of "RI-7768" on one, but a part of it
    (and, being no plate, no answer). Only a run of digits or of letters that starts or
    ends a fuller text of both letters and digits is one (a text with a glyph more or
    less is a rival).
    """
    fragments = {}
    for fragment in by_text:
        if not (fragment.isdigit() or fragment.isalpha()):
            continue
        fuller = [
            text
            for text in by_text
            if not (text.isdigit() or text.isalpha())
            and (text.endswith(fragment) or text.startswith(fragment))
        ]
        if fuller:
            fragments[fragment] = max(fuller, key=lambda text: by_text[text])
    return fragments


def _character_vote(readings: Sequence[FrameReading]) -> FrameReading | None:
    """Per-position vote among readings with the most common canonical length."""
    if len(readings) < 3:
        return None
    lengths: dict[int, float] = defaultdict(float)
    for reading in readings:
        lengths[len(reading.key)] += reading.confidence
    length = max(lengths, key=lambda n: lengths[n])
    aligned = [r for r in readings if len(r.key) == length]
    if len(aligned) < 3:
        return None
    chars: list[str] = []
    confidences: list[float] = []
    for position in range(length):
        votes: dict[str, float] = defaultdict(float)
        for reading in aligned:
            weights = reading.char_confidences
            weight = weights[position] if len(weights) == length else reading.confidence
            votes[reading.key[position]] += weight
        char = max(votes, key=lambda c: votes[c])
        chars.append(char)
        confidences.append(votes[char] / (sum(votes.values()) or 1.0))
    template = aligned[0]
    parsed = parse_plate(_with_layout("".join(chars), template.parsed), hints=template.hints)
    mean_conf = sum(r.confidence for r in aligned) / len(aligned)
    return FrameReading(parsed, mean_conf * min(confidences), tuple(confidences), template.hints)


def _with_layout(text: str, template: ParsedPlate) -> str:
    """Put a voted canonical string back into the template's blocks for re-parsing."""
    if not template.is_pakistani:
        return text
    n_letters, n_digits = len(template.letters), len(template.digits)
    letters, digits = text[:n_letters], text[n_letters : n_letters + n_digits]
    suffix = text[n_letters + n_digits :]
    return f"{letters} {digits} {suffix}".strip()


def _fused_confidence(
    winner: str, readings: Sequence[FrameReading], voted: FrameReading | None
) -> float:
    agreeing = sorted(
        (r for r in readings if r.key == winner), key=lambda r: r.confidence, reverse=True
    )
    if not agreeing:
        # No frame read the voted text whole: trust it only as far as the vote agreed.
        return voted.confidence if voted is not None and voted.key == winner else 0.0
    total = sum(r.confidence for r in readings) or 1.0
    dissent = sum(r.confidence for r in readings if r.key != winner) / total
    # Extra agreeing frames help, but frames of one track are not independent evidence;
    # a reading at odds with its own segmentation (a glyph split in two, "LEE-7748")
    # repeats from frame to frame, so more such frames add nothing.
    doubt = math.prod(1.0 - 0.5 * r.confidence for r in agreeing[1:] if r.consistent)
    support = agreeing[0].confidence + (1.0 - agreeing[0].confidence) * (1.0 - doubt)
    return float(max(0.0, min(1.0, support * (1.0 - dissent))))
