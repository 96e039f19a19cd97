"""From a plate crop's rows read to its text: trimming, correcting, scoring.

The recogniser reads each row of a plate; this module decides which glyphs belong to the
plate (margins hold borders and bolts), re-picks each character within its block from the
network's own odds, reads the Punjab year apart, and turns the result into a confidence.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import cv2
import numpy as np

from ocr.formats import (
    DIGITS,
    LETTERS,
    PUNJAB_DISTRICT_PREFIXES,
    ParsedPlate,
    canonical,
    parse_plate,
)
from ocr.localize import PlateLayout
from ocr.recognition import LineReading
from ocr.row_crop import BORDER_GLYPHS, RowCrop

# A round glyph in a letter block is far more often D/Q/C than O (PLATES.md): a soft prior.
_LETTER_PENALTIES = {"O": 0.3}
# A Punjab district plate's series begins with its district's code (PLATES.md); codes
# beyond the documented ones exist, so a series without one is less likely, not barred.
_UNKNOWN_DISTRICT_PRIOR = 0.2
# A reading outside every Pakistani format (or inside one only by its shape, with no
# colour, layout or word to confirm it) cannot be checked against any layout, and the
# recogniser is sure of wrong letters on such plates (a narrow W read as H at 0.95+): one
# frame of it stays below the default threshold (0.6) and goes to the warden with its
# candidates; frames of a track that agree can still lift it.
_UNKNOWN_FORMAT_FACTOR = 0.55
_UNCUED_FORMAT_FACTOR = 0.55
# A Pakistani plate of a rare shape (a Punjab series without a district code, a number
# of at most this many digits, a one-letter series with a number shorter than four
# digits) is believed this much less on one frame.
_RARE_PLATE_FACTOR = 0.75
_SHORT_NUMBER_DIGITS = 2
# The fewest characters a registration has (PLATES.md's shortest: "A-1234").
_SHORTEST_PLATE = 5
# A foreign reading of fewer or more characters than these is a fragment or running text.
_FOREIGN_READ_CHARS = (4, 9)
# How much a foreign reading that is no registration (a fragment, a word, a railing's
# bars) is believed.
_NOT_A_PLATE_FACTOR = 0.3
# Glyphs that one upright bar reads as.
_STROKE_GLYPHS = "I1JTL"
# A one-letter series is a Sindh plate's, numbered with four digits ("A-1234", PLATES.md).
_ONE_LETTER_SERIES_DIGITS = 4
# How much a character the network saw as the other kind (a digit where a letter must
# be) still counts: its class's share of the odds, to this power.
_CLASS_MASS_EXPONENT = 0.25
# Per character of difference between characters read and characters segmented.
_COUNT_MISMATCH_FACTOR = 0.75
# A glyph read beyond the segmented characters this surely, and no border-like glyph, is
# one of the plate's (the segmentation missed it): no format is read by dropping it.
_SURE_OUTSIDE_GLYPH = 0.85


def choose_trim(
    rows: Sequence[RowCrop], lines: Sequence[LineReading], hints: Sequence[str]
) -> tuple[ParsedPlate, list[LineReading], bool]:
    """Decide which characters read in the margins belong to the plate.

    A glyph outside the segmented characters is either one the segmentation missed or
    the plate's edge. Each side of each row is tried with all of them and without the
    outermost one, two, ... of them; among the readings in a Pakistani format the one
    with the fewest border-like glyphs (I, 1, J) kept plus corrections wins, then the
    one keeping most other glyphs. A glyph read surely that is not border-like is never
    dropped: a foreign plate is not cut to a Pakistani format (US "5FEE732" is no Sindh
    "FEE-732"). Failing any format, border-like glyphs are dropped. The flag says another
    plate text was as plausible (the choice was a guess).
    """
    options_per_row: list[list[tuple[LineReading, int, int]]] = []
    for row, line in zip(rows, lines, strict=True):
        if row.role == "year":
            continue
        left, right = row.outside_glyphs(line)
        options = []
        for drop in _subsets_of_sides(left, right):
            if any(_is_sure_glyph(line, index) for index in drop):
                continue
            kept_outside = [line.text[i] for i in (left | right) - drop]
            border = sum(char in BORDER_GLYPHS for char in kept_outside)
            option = line.keep([i for i in range(len(line.text)) if i not in drop])
            options.append((option, border, len(kept_outside) - border))
        options_per_row.append(options)
    best: tuple[tuple[int, int], ParsedPlate, list[LineReading]] | None = None
    valid: list[ParsedPlate] = []
    for combination in itertools.product(*options_per_row):
        chosen = [line for line, _, _ in combination]
        parsed = parse_plate("\n".join(line.text for line in chosen), hints=hints)
        if not parsed.is_pakistani:
            continue
        valid.append(parsed)
        border = sum(b for _, b, _ in combination)
        other = sum(o for _, _, o in combination)
        key = (-(border + parsed.corrections), other)
        if best is None or key > best[0]:
            best = (key, parsed, chosen)
    if best is not None:
        winner = best[1]
        ambiguous = any(
            other.text != winner.text and other.corrections <= winner.corrections for other in valid
        )
        return winner, best[2], ambiguous
    trimmed = [row.trim(line) for row, line in zip(rows, lines, strict=True) if row.role != "year"]
    parsed = parse_plate("\n".join(line.text for line in trimmed), hints=hints)
    return parsed, trimmed, False


def _is_sure_glyph(line: LineReading, index: int) -> bool:
    """Whether the glyph at ``index`` was read surely as no border-like glyph."""
    return (
        line.text[index] not in BORDER_GLYPHS
        and line.char_confidences[index] >= _SURE_OUTSIDE_GLYPH
    )


def _subsets_of_sides(left: set[int], right: set[int]) -> list[set[int]]:
    """The glyphs a trim may drop: on each side none, or the outermost one, two, ...
    (the plate's edge lies beyond the characters the segmentation missed, never
    between them: "CS-96411", its last "1" the edge, is "CS-9641" or "CS-964")."""
    lefts, rights = sorted(left), sorted(right, reverse=True)
    return [
        set(lefts[:k]) | set(rights[:j])
        for k in range(len(lefts) + 1)
        for j in range(len(rights) + 1)
    ]


def year_from(line: LineReading) -> str:
    """The 2-digit registration year, or "" when the reading is not clearly two digits.

    Glyphs the recogniser is unsure of (the dash, a bolt, the plate edge) are ignored.
    """
    digits = []
    for index, char in enumerate(line.text):
        if not char.isalnum():
            continue
        digit, share, mass = line.best_in(index, DIGITS)
        if share * mass**_CLASS_MASS_EXPONENT >= 0.6 and line.char_confidences[index] >= 0.5:
            digits.append(digit)
    return "".join(digits) if len(digits) == 2 else ""


def colour_hints(image_bgr: np.ndarray, layout: PlateLayout) -> list[str]:
    """Layout and colour cues: yellow (Sindh) plates, the green strip of Punjab plates."""
    hints = ["two_line"] if layout.two_line else []
    x1, y1, x2, y2 = layout.xyxy
    h = int(layout.char_height_px)
    hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
    plate = hsv[max(0, y1 - h // 2) : y2 + h // 2, x1:x2]
    if plate.size:
        hue, saturation = plate[:, :, 0], plate[:, :, 1]
        if float(np.mean((hue >= 12) & (hue <= 35) & (saturation >= 90))) > 0.35:
            hints.append("yellow")
    strip = hsv[y1:y2, max(0, x1 - 2 * h) : x1]
    if strip.size:
        hue, saturation = strip[:, :, 0], strip[:, :, 1]
        if float(np.mean((hue >= 40) & (hue <= 90) & (saturation >= 60))) > 0.3:
            hints.append("green_strip")
    return hints


def refine_with_odds(
    parsed: ParsedPlate, lines: Sequence[LineReading], hints: Sequence[str]
) -> tuple[ParsedPlate, tuple[float, ...]]:
    """Re-pick each character within its block (letter or digit) from the network's odds.

    Table corrections (8 -> B) guess; the recogniser's second choice at that character
    knows. Applies when the recognised characters line up one-to-one with the parse.
    """
    chars: list[tuple[LineReading, int]] = []
    for line in lines:
        chars.extend((line, i) for i, char in enumerate(line.text) if char.isalnum())
    if not parsed.is_pakistani:
        confidences = tuple(line.char_confidences[i] for line, i in chars)
        return parsed, confidences
    blocks = [
        (LETTERS, len(parsed.letters)),
        (DIGITS, len(parsed.year)),
        (DIGITS, len(parsed.digits)),
    ]
    if parsed.suffix:
        blocks.append((LETTERS, len(parsed.suffix)))
    if sum(n for _, n in blocks) != len(chars):
        confidences = tuple(line.char_confidences[i] for line, i in chars)
        return parsed, confidences
    out: list[str] = []
    confidences_list: list[float] = []
    position = 0
    for alphabet, count in blocks:
        block = []
        for _ in range(count):
            line, index = chars[position]
            penalties = _LETTER_PENALTIES if alphabet == LETTERS else None
            char, share, mass = line.best_in(index, alphabet, penalties=penalties)
            block.append(char)
            # A character the network saw as the other kind (a digit where a letter
            # must be) is a guess, however clear the best letter is among letters.
            confidences_list.append(share * mass**_CLASS_MASS_EXPONENT)
            position += 1
        out.append("".join(block))
    if parsed.format == "punjab":
        letter_chars = chars[: len(out[0])]
        out[0], shares = _with_district_prior(letter_chars, out[0])
        for i, share in enumerate(shares):
            # A letter the prior chose over the network's pick is as sure as its odds.
            confidences_list[i] = min(confidences_list[i], share)
    letters, year, digits = out[0], out[1], out[2]
    suffix = out[3] if parsed.suffix else ""
    separator = "\n" if parsed.year or "two_line" in hints else " "
    top = f"{letters} {year}".strip()
    rebuilt = parse_plate(f"{top}{separator}{digits} {suffix}".strip(), hints=hints)
    if not rebuilt.is_pakistani:
        return parsed, tuple(confidences_list)
    return rebuilt, tuple(confidences_list)


def _with_district_prior(
    chars: Sequence[tuple[LineReading, int]], letters: str
) -> tuple[str, list[float]]:
    """The series most likely under the network's odds and the district-code prior.

    Every letter is weighed at every position: the prior matters most where the network
    is unsure, and there its odds are flat (an "M" it rates fifth at 5 %).

    Returns the series and, per letter, its share of the odds among the letters (1.0
    where the letter read stands).
    """
    if not letters or letters.startswith(PUNJAB_DISTRICT_PREFIXES):
        return letters, [1.0] * len(letters)
    odds = [_letter_odds(line, index) for line, index in chars]
    # The network's own pick starts with no known code (else it stood above).
    best, best_score = letters, _UNKNOWN_DISTRICT_PRIOR * _series_odds(letters, odds)
    for prefix in PUNJAB_DISTRICT_PREFIXES:
        if len(prefix) > len(letters):
            continue
        series = prefix + letters[len(prefix) :]
        score = _series_odds(series, odds)
        if score > best_score:
            best, best_score = series, score
    return best, [
        odds[i][char] if char != read else 1.0
        for i, (char, read) in enumerate(zip(best, letters, strict=True))
    ]


def _series_odds(series: str, odds: Sequence[dict[str, float]]) -> float:
    return math.prod(position.get(char, 0.0) for char, position in zip(series, odds, strict=True))


def _letter_odds(line: LineReading, index: int) -> dict[str, float]:
    """Each letter's share of the network's (penalised) letter odds at a character."""
    probs = line.char_probs[index]
    odds = {
        char: float(probs[position]) * _LETTER_PENALTIES.get(char, 1.0)
        for char in LETTERS
        if (position := line.alphabet.find(char)) >= 0
    }
    total = sum(odds.values()) or 1.0
    return {char: share / total for char, share in odds.items()}


def plate_confidence(
    char_confidences: Sequence[float], parsed: ParsedPlate, segmented_chars: int
) -> float:
    """Confidence that the parsed plate is right, from its characters and its consistency
    with what the segmentation saw."""
    if not char_confidences:
        return 0.0
    # The weakest character decides whether the plate is right.
    weakest = min(char_confidences)
    mean = float(np.mean(char_confidences))
    confidence = (weakest * mean) ** 0.5
    read_chars = read_char_count(parsed)
    confidence *= format_ceiling(parsed) * _rarity(parsed)
    if not parsed.is_pakistani:
        # Its characters: a dash or a space read between blocks is none.
        text = canonical(parsed.text)
        fewest, most = _FOREIGN_READ_CHARS
        if not fewest <= read_chars <= most:
            # A fragment (one row of a two-line plate) or running text, not a plate.
            confidence *= _NOT_A_PLATE_FACTOR
        elif text.isalpha():
            # A word (a state's name above the plate, a dealer's, a slogan): a
            # registration holds a digit, every Pakistani one does.
            confidence *= _NOT_A_PLATE_FACTOR
        elif text.isdigit():
            confidence *= 0.6
        elif 2 * sum(char in _STROKE_GLYPHS for char in text) > len(text):
            # Mostly upright strokes ("IIITI7"): the bars of a railing, a grille or a
            # radiator. No registration of the three sets is (at most three of seven).
            confidence *= _NOT_A_PLATE_FACTOR
        if fewest <= read_chars < _SHORTEST_PLATE:
            # No registration of the US, European or Pakistani sets is shorter than
            # five characters (PLATES.md's shortest, "A-1234"): four are a sign's word
            # and a digit ("TAX-1") or a plate with a glyph lost, as rare as a
            # Pakistani plate of a rare shape.
            confidence *= _RARE_PLATE_FACTOR
    # Characters read but not segmented (or segmented but not read) mean a part of the
    # plate was missed or something beside it was read.
    confidence *= _COUNT_MISMATCH_FACTOR ** min(2, abs(read_chars - segmented_chars))
    return float(confidence)


def _rarity(parsed: ParsedPlate) -> float:
    """How far a Pakistani plate's own text vouches for it: a Punjab series without a
    district code, a number of one or two digits, or a one-letter series with fewer
    than four digits is rare on the road (PLATES.md), and is what a blurred plate reads
    as when a character is lost ("EE-6731" for "LEE-6731", "ATZ-97" for "ATZ-972",
    "S-036" for "BCS-036"): one frame of it is no sure answer; frames of a track that
    agree can still lift it."""
    if not parsed.is_pakistani:
        return 1.0
    factor = 1.0
    if parsed.format == "punjab" and not parsed.letters.startswith(PUNJAB_DISTRICT_PREFIXES):
        factor *= _RARE_PLATE_FACTOR
    short_number = len(parsed.digits) <= _SHORT_NUMBER_DIGITS or (
        len(parsed.letters) == 1 and len(parsed.digits) < _ONE_LETTER_SERIES_DIGITS
    )
    if short_number:
        factor *= _RARE_PLATE_FACTOR
    return factor


def format_ceiling(parsed: ParsedPlate) -> float:
    """The most confidence a reading can claim as far as its format can vouch for it:
    1 for a Pakistani format its colour, layout or words confirm, less for one only its
    shape suggests (a foreign plate has that shape too) or for no Pakistani format."""
    if not parsed.is_pakistani:
        return _UNKNOWN_FORMAT_FACTOR
    return 1.0 if parsed.format_cued else _UNCUED_FORMAT_FACTOR


def read_char_count(parsed: ParsedPlate) -> int:
    """How many characters a reading holds, the Punjab year apart."""
    if not parsed.is_pakistani:
        return len(canonical(parsed.text))
    return len(parsed.letters) + len(parsed.digits) + len(parsed.suffix)
