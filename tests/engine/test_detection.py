"""Blob grouping of background subtraction on hand-made connected-component stats."""

from __future__ import annotations

import numpy as np
import pytest

from enforcement.detection import join_stacked_parts


def stats(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    """Rows like ``cv2.connectedComponentsWithStats``: x, y, w, h, area."""
    return np.array([[x, y, w, h, w * h] for x, y, w, h in boxes], dtype=np.int32)


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        # A roof and, a little below it, the flat strip of bumper and shadow: one vehicle.
        (((100, 50, 40, 30), (98, 88, 44, 5)), [0, 0]),
        # Two vehicles one behind the other: neither is flat, both stay.
        (((100, 50, 40, 30), (100, 84, 40, 30)), [0, 1]),
        # A flat strip far below a vehicle is not its bumper.
        (((100, 50, 40, 30), (98, 140, 44, 5)), [0, 1]),
        # A flat strip beside a vehicle (the next lane) stays alone.
        (((100, 50, 40, 30), (160, 88, 44, 5)), [0, 1]),
    ],
)
def test_flat_strips_join_the_vehicle_right_above(
    boxes: tuple[tuple[int, int, int, int], ...], expected: list[int]
) -> None:
    assert join_stacked_parts(stats(*boxes)).tolist() == expected
