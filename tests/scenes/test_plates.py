"""Plate strings follow the Pakistani formats and render at real proportions."""

from __future__ import annotations

import random
import re

import pytest

from fixtures.scenes.plates import CAR_PLATE_MM, MOTORCYCLE_PLATE_MM, random_plate, render_plate

PATTERNS = {
    "punjab": r"(LE[A-H]?|RI[AB]?|FDA?|FSD|GAA?|MNA?)-\d{1,4}",
    "punjab_universal": r"[A-Z]{3}-\d{3,4}",
    "islamabad": r"(ICT|[A-Z]{3})-\d{3,4}",
    "sindh": r"[A-Z]{1,3}-\d{3,4}",
}


def test_random_plates_follow_their_format_and_repeat_for_a_seed() -> None:
    first = [random_plate(random.Random(7)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    rng = random.Random(42)
    formats = set()
    for _ in range(400):
        spec = random_plate(rng)
        assert re.fullmatch(PATTERNS[spec.format], spec.text), spec
        assert "O" not in spec.letters
        assert (spec.year != "") == (spec.format in ("punjab", "sindh"))
        formats.add(spec.format)
    assert formats == set(PATTERNS)


@pytest.mark.parametrize(
    ("motorcycle", "size_mm"), [(False, CAR_PLATE_MM), (True, MOTORCYCLE_PLATE_MM)]
)
def test_plate_textures_keep_real_proportions(
    motorcycle: bool, size_mm: tuple[float, float]
) -> None:
    texture = render_plate(random_plate(random.Random(3)), motorcycle=motorcycle)
    height, width = texture.shape[:2]
    assert width / height == pytest.approx(size_mm[0] / size_mm[1], rel=0.02)
    # Dark characters on a light plate.
    assert texture.mean() > 120 and texture.min() < 60
