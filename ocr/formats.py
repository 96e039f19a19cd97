"""Pakistani plate formats: parse raw OCR text, correct confusions by position, normalise.

See ``PLATES.md``: a registration number is a letter block and a digit block written
``LETTERS-DIGITS`` (``LEA-1234``); the Punjab registration year (``-06`` on the top line)
is kept apart. Text that fits no Pakistani layout is returned as read, flagged ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"

# Confusions of a recogniser, resolved by the block a character sits in.
TO_DIGIT = {
    "O": "0",
    "D": "0",
    "Q": "0",
    "I": "1",
    "L": "1",
    "S": "5",
    "B": "8",
    "Z": "2",
    "G": "6",
}
# No O was seen on real plates (PLATES.md): a round glyph in the letter block is most
# likely D. I and U do occur, so they are never rewritten in the letter block.
TO_LETTER = {
    "0": "D",
    "O": "D",
    "1": "I",
    "5": "S",
    "8": "B",
    "3": "B",
    "2": "Z",
    "6": "G",
}

PROVINCE_WORDS = {
    "PUNJAB": "punjab",
    "SINDH": "sindh",
    "KARACHI": "sindh",
    "ISLAMABAD": "islamabad",
    "ICT": "islamabad",
    "KPK": "kp",
    "KHYBER": "kp",
    "PAKHTUNKHWA": "kp",
    "PESHAWAR": "kp",
}
OTHER_WORDS = ("PAKISTAN", "GOVT", "GOVERNMENT")

# District codes documented in PLATES.md (Lahore, Rawalpindi, Faisalabad, Gujranwala,
# Multan) plus Lahore's LX series seen on real plates.
PUNJAB_DISTRICT_PREFIXES = ("LE", "LX", "RI", "FD", "FSD", "GA", "MN")
SINDH_GOVERNMENT_PREFIXES = ("GS", "GP", "GL", "HC", "SP")

FORMATS = ("punjab", "punjab_universal", "islamabad", "sindh", "kp", "government", "unknown")
FORMAT_PROVINCE = {
    "punjab": "punjab",
    "punjab_universal": "punjab",
    "islamabad": "islamabad",
    "sindh": "sindh",
    "kp": "kp",
}

_MAX_LETTERS = 3
# A Punjab series is 2-3 letters (PLATES.md and every real plate in data/plates/pk).
_MIN_SERIES_LETTERS = 2
# Rewrites (and ignored separators) a reading with no Pakistani cue may need to fit a
# Pakistani layout; one slip ("A5Y-747") is a misread plate, more a foreign one.
_MAX_UNCUED_REWRITES = 1
_MAX_DIGITS = 4
_SEPARATORS = re.compile(r"[^A-Z0-9\n]+")


@dataclass(frozen=True)
class ParsedPlate:
    """One reading mapped onto a plate layout.

    ``text`` is ``LETTERS-DIGITS`` for a Pakistani format (``TD-483-C`` keeps a Sindh
    suffix letter) or the upper-case alphanumeric reading for ``unknown``.
    ``corrections`` counts the characters rewritten by position.
    """

    text: str
    letters: str
    digits: str
    year: str
    format: str
    province: str
    corrected: bool
    corrections: int = 0
    suffix: str = ""
    # False when only the text's shape suggested the format (no colour, layout or word).
    format_cued: bool = False

    @property
    def is_pakistani(self) -> bool:
        return self.format != "unknown"


@dataclass(frozen=True)
class _Split:
    letters: str
    year: str
    digits: str
    suffix: str
    corrections: int
    # Split points that ignore a separator the recogniser saw cost extra, not a rewrite.
    penalty: int = 0
    two_line: bool = False


def parse_plate(raw: str, *, hints: Iterable[str] = ()) -> ParsedPlate:
    """Parse raw OCR text (lines separated by ``\\n``) into a normalised plate.

    ``hints`` are layout cues from the image: ``two_line``, ``yellow``, ``green_strip``
    and province words already seen (``punjab``, ``sindh``, ...).

    >>> parse_plate("LEB -06\\n57OO").text
    'LEB-5700'
    >>> parse_plate("ASY-747 SINDH").format
    'sindh'
    """
    cues = set(hints)
    lines = [line for line in (_clean_line(part, cues) for part in raw.upper().split("\n")) if line]
    if not lines:
        return ParsedPlate("", "", "", "", "unknown", "", False)
    split = _best_split(lines, cues)
    if split is None:
        text = "".join(line.replace(" ", "") for line in lines)
        return _unknown(text)
    if split.two_line:
        cues.add("two_line")
    plate_format, cued = classify(split.letters, split.digits, split.year, cues)
    if not cued and split.corrections + split.penalty > _MAX_UNCUED_REWRITES:
        # Only the text's shape suggests a Pakistani plate, and it fits that shape only
        # after several rewrites: a foreign plate ("W053011", "WA 56660") is not to be
        # forced into a Pakistani layout ("WDS-3011", "WAS-6660"). Keep it as read.
        text = "".join(line.replace(" ", "") for line in lines)
        return _unknown(text)
    text = f"{split.letters}-{split.digits}" + (f"-{split.suffix}" if split.suffix else "")
    return ParsedPlate(
        text=text,
        letters=split.letters,
        digits=split.digits,
        year=split.year,
        format=plate_format,
        province=FORMAT_PROVINCE.get(plate_format, _province_from_cues(cues)),
        corrected=split.corrections > 0,
        corrections=split.corrections,
        suffix=split.suffix,
        format_cued=cued,
    )


def _unknown(text: str) -> ParsedPlate:
    """A reading that fits no Pakistani layout: kept as read but for its round glyphs'
    kind where its blocks tell it (``round_glyphs_by_block``)."""
    return ParsedPlate(round_glyphs_by_block(text), "", "", "", "unknown", "", False)


def round_glyphs_by_block(text: str) -> str:
    """Write a round glyph as the kind of character its block holds.

    O and 0 are drawn alike on most plates, so the recogniser's choice between them is
    a coin toss. A round glyph whose nearest other characters on both sides are digits
    sits in a digit block: 0. One at either end of the plate belongs to the block of
    its one neighbour: 0 after or before a digit ("1B70440"), O after or before a
    letter (a Slovak "RK896AO"). Between two letters, or between a letter and a digit,
    it stays as read: US plates put 0 between letters ("HK0E7C"), and a block's edge
    tells nothing.

    >>> round_glyphs_by_block("RK9O6AJ"), round_glyphs_by_block("WOB3OO5")
    ('RK906AJ', 'WOB3005')
    >>> round_glyphs_by_block("PP587A0"), round_glyphs_by_block("0YO9FEU")
    ('PP587AO', 'OYO9FEU')
    """
    out = list(text)
    for i, char in enumerate(text):
        if char not in "O0":
            continue
        left = next((c for c in reversed(text[:i]) if c.isalnum() and c not in "O0"), "")
        right = next((c for c in text[i + 1 :] if c.isalnum() and c not in "O0"), "")
        at_end = not any(c.isalnum() for c in text[:i]) or not any(
            c.isalnum() for c in text[i + 1 :]
        )
        neighbours = left + right if not at_end else (left or right)
        if neighbours and neighbours.isdigit() and (at_end or len(neighbours) == 2):
            out[i] = "0"
        elif at_end and neighbours.isalpha():
            out[i] = "O"
    return "".join(out)


def canonical(text: str) -> str:
    """Upper-case alphanumerics only: the form two plate texts are compared in."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def classify(letters: str, digits: str, year: str, cues: set[str]) -> tuple[str, bool]:
    """Pick the format of a ``letters``/``digits`` split from image and text cues.

    Returns the format and whether a cue decided it (False: only the shape of the text,
    which a foreign plate can share).
    """
    province = _province_from_cues(cues)
    if province == "sindh" or "yellow" in cues:
        return ("government" if letters in SINDH_GOVERNMENT_PREFIXES else "sindh"), True
    if province == "islamabad" or letters == "ICT":
        return "islamabad", True
    if province == "kp":
        return "kp", True
    district = any(letters.startswith(prefix) for prefix in PUNJAB_DISTRICT_PREFIXES)
    if year or "two_line" in cues or district:
        return "punjab", True
    if province == "punjab" or "green_strip" in cues:
        universal = len(letters) == 3 and len(digits) >= 3
        return ("punjab_universal" if universal else "punjab"), True
    # One line of letters then digits: most often a Sindh plate.
    if len(letters) >= 1 and len(digits) >= 3:
        return "sindh", False
    return "unknown", False


def to_block(text: str, alphabet: str) -> tuple[str, int] | None:
    """Rewrite ``text`` into ``alphabet`` (LETTERS or DIGITS) by the confusion tables.

    Returns the rewritten text and the number of changes, or None when a character has
    no plausible counterpart.
    """
    table = TO_LETTER if alphabet == LETTERS else TO_DIGIT
    out, changes = [], 0
    for char in text:
        if char in alphabet and not (alphabet == LETTERS and char == "O"):
            out.append(char)
        elif char in table:
            out.append(table[char])
            changes += 1
        else:
            return None
    return "".join(out), changes


def _clean_line(line: str, cues: set[str]) -> str:
    """Remove province words (recording them as cues) and non-alphanumerics."""
    tokens = [token for token in _SEPARATORS.split(line) if token]
    lettered = [token for token in tokens if any(char in LETTERS for char in token)]
    kept: list[str] = []
    for token in tokens:
        word = _matching_word(token, only_letters=len(lettered) == 1)
        if word is None:
            kept.append(token)
        elif word in PROVINCE_WORDS:
            cues.add(PROVINCE_WORDS[word])
    return " ".join(kept)


def _matching_word(token: str, *, only_letters: bool) -> str | None:
    """The province/noise word a token reads as, allowing OCR slips on long words."""
    for word in (*PROVINCE_WORDS, *OTHER_WORDS):
        if token == word:
            # In "ICT 1234" ICT is the series itself: keep it when no other letters exist.
            return None if word == "ICT" and only_letters else word
        if len(word) >= 5 and len(token) >= 4 and edit_distance(token, word) <= len(word) // 3:
            return word
    return None


def _best_split(lines: list[str], cues: set[str]) -> _Split | None:
    candidates: list[_Split] = []
    if len(lines) >= 2:
        top, bottom = lines[0].replace(" ", ""), "".join(lines[1:]).replace(" ", "")
        candidates.extend(_two_line_splits(top, bottom))
    else:
        candidates.extend(_one_line_splits(lines[0]))
        # A two-line plate read as one line: "LEB06 5700".
        parts = lines[0].split(" ")
        for cut in range(1, len(parts)):
            top, bottom = "".join(parts[:cut]), "".join(parts[cut:])
            candidates.extend(_two_line_splits(top, bottom, require_year=True))
    if not candidates:
        return None
    best = min(candidates, key=lambda split: (split.corrections + split.penalty, len(split.year)))
    total = len(best.letters) + len(best.digits) + len(best.year)
    # Beyond this many rewrites the reading is a different text, not a misread plate.
    if best.corrections > max(1, total // 3):
        return None
    return best


def _two_line_splits(top: str, bottom: str, *, require_year: bool = False) -> list[_Split]:
    """Punjab: 2-3 series letters and an optional 2-digit year on top, 1-4 digits below
    (``require_year``: a two-line plate read as one line, whose year must read as digits).

    One letter over a digit is not a Punjab plate (no series is one letter): in a scene
    it is a fragment of other text, a badge or a sign, and must not pass as one.
    """
    digits = to_block(bottom, DIGITS)
    if digits is None or not 1 <= len(bottom) <= _MAX_DIGITS:
        return []
    splits = []
    for n_letters in range(_MIN_SERIES_LETTERS, min(_MAX_LETTERS, len(top)) + 1):
        year_part = top[n_letters:]
        if len(year_part) not in ((2,) if require_year else (0, 2)):
            continue
        letters = to_block(top[:n_letters], LETTERS)
        year = to_block(year_part, DIGITS) if year_part else ("", 0)
        if letters is None or year is None:
            continue
        if require_year and year[1]:
            # On one line, the year is the only sign of a two-line plate: a "year" that
            # had to be rewritten into digits is no such sign ("ICDL 4461", a Texas
            # "CDL-4461" read with the plate's edge, is no "IC-4461" of year "01").
            continue
        corrections = letters[1] + year[1] + digits[1]
        splits.append(_Split(letters[0], year[0], digits[0], "", corrections, two_line=True))
    return splits


def _one_line_splits(line: str) -> list[_Split]:
    """Letters then digits, optionally a suffix letter (``TD-483-C``) or a year."""
    compact = line.replace(" ", "")
    # A separator the recogniser saw between the blocks is strong evidence of the split.
    gaps = {len(part) for part in _prefix_lengths(line.split(" "))}
    splits = []
    for n_letters in range(1, min(_MAX_LETTERS, len(compact) - 1) + 1):
        rest = compact[n_letters:]
        letters = to_block(compact[:n_letters], LETTERS)
        if letters is None:
            continue
        penalty = 0 if n_letters in gaps or not gaps else 1
        for digits_part, suffix in _digit_tails(rest, separated_suffix=len(compact) - 1 in gaps):
            digits = to_block(digits_part, DIGITS)
            if digits is None:
                continue
            splits.append(
                _Split(letters[0], "", digits[0], suffix, letters[1] + digits[1], penalty)
            )
    return splits


def _digit_tails(rest: str, separated_suffix: bool) -> list[tuple[str, str]]:
    """Digit block, and a suffix letter only where a separator set it apart ("483-C")."""
    tails = []
    if 1 <= len(rest) <= _MAX_DIGITS:
        tails.append((rest, ""))
    if (
        separated_suffix
        and 2 <= len(rest) <= _MAX_DIGITS + 1
        and rest[-1] in LETTERS
        and rest[-1] not in TO_DIGIT
    ):
        tails.append((rest[:-1], rest[-1]))
    return tails


def _prefix_lengths(parts: list[str]) -> list[str]:
    prefixes, joined = [], ""
    for part in parts[:-1]:
        joined += part
        prefixes.append(joined)
    return prefixes


def _province_from_cues(cues: set[str]) -> str:
    for province in ("sindh", "islamabad", "kp", "punjab"):
        if province in cues:
            return province
    return ""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings (used for CER and for province words)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]
