"""Background subtraction: blob grouping on hand-made stats, priming, and blob splitting on
real foreground masks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from enforcement.camera_config import CameraConfig
from enforcement.detection import (
    BackgroundDetector,
    BackgroundSettings,
    Detections,
    SelectiveBackground,
    _label,
    join_stacked_parts,
    road_from_samples,
    side_shelves,
)
from enforcement.geometry import validate_config


def stats(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    """Rows like ``cv2.connectedComponentsWithStats``: x, y, w, h, area."""
    return np.array([[x, y, w, h, w * h] for x, y, w, h in boxes], dtype=np.int32)


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        # A roof and, a little below it, the flat strip of bumper and shadow: one vehicle.
        (((100, 50, 40, 30), (98, 88, 44, 5)), [0, 0]),
        # A vehicle behind another: farther away, so narrower; both stay.
        (((104, 56, 30, 24), (100, 84, 40, 30)), [0, 1]),
        # A truck's upper body right above its lower body, edge over edge: one vehicle.
        (((253, 16, 42, 17), (251, 37, 47, 54)), [0, 0]),
        # ... and with the bumper strip below as well: all three are one.
        (((253, 16, 42, 17), (251, 37, 47, 54), (250, 93, 49, 6)), [0, 0, 0]),
        # Two blobs edge over edge but far apart vertically: two vehicles.
        (((253, 16, 42, 17), (251, 60, 47, 54)), [0, 1]),
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


def road_with_noise(rng: np.random.Generator, shape: tuple[int, int] = (40, 60)) -> np.ndarray:
    return np.clip(rng.normal(100, 2, (*shape, 3)), 0, 255).astype(np.uint8)


def test_priming_learns_the_road_under_a_vehicle_that_stood_most_of_the_time() -> None:
    rng = np.random.default_rng(2)
    samples = []
    for k in range(40):
        frame = road_with_noise(rng)
        if 10 <= k < 34:  # a white van waits through a long red: 60 % of the samples
            frame[10:30, 20:40] = (230, 230, 230)
        elif k % 3 == 0:  # before and after it, traffic passes: each car once
            frame[10:30, 25:35] = rng.integers(0, 255, 3)
        samples.append(frame)
    stack = np.stack(samples)
    assert np.median(stack, axis=0)[20, 30].min() > 200  # the median learns the van
    road = road_from_samples(stack)
    assert np.abs(road.astype(int) - 100).max() <= 8


def test_priming_keeps_the_road_beside_a_painted_edge_inside_one_block() -> None:
    rng = np.random.default_rng(3)
    painted = road_with_noise(rng)
    painted[:, :31] = (230, 230, 230)  # a stop line whose edge cuts the 3-pixel block 30-32
    samples = []
    for k in range(30):
        frame = np.clip(painted.astype(int) + rng.normal(0, 2, painted.shape), 0, 255)
        if k % 5 == 0:  # now and then a white car passes beside the line
            frame[10:30, 31:45] = (228, 231, 229)
        samples.append(frame.astype(np.uint8))
    road = road_from_samples(np.stack(samples), step_px=3)
    assert np.abs(road.astype(int) - painted.astype(int)).max() <= 8


def test_a_held_vehicle_is_not_learnt_while_it_stands_still() -> None:
    rng = np.random.default_rng(4)
    road = road_with_noise(rng)
    held = np.zeros(road.shape[:2], np.uint8)
    held[5:25, 5:25] = 255
    models = {"held": SelectiveBackground(), "unheld": SelectiveBackground()}
    masks = {}
    for name, model in models.items():
        model.prime(road)
        for _ in range(150):
            frame = road_with_noise(rng)
            frame[10:20, 10:20] = (30, 30, 160)  # a parked car, still for 6 s
            masks[name] = model.apply(frame, held if name == "held" else None)
    assert (masks["held"][10:20, 10:20] == 255).all()
    assert (masks["unheld"][10:20, 10:20] == 0).mean() > 0.9


MASKS = Path(__file__).resolve().parents[1] / "data" / "masks"


def junction_detector(**settings: float) -> BackgroundDetector:
    config = CameraConfig.load(Path("fixtures/samples/junction/camera.json"))
    calibration = validate_config(config).calibration
    return BackgroundDetector(config.resolution, calibration, BackgroundSettings(**settings))


def detect_on_mask(detector: BackgroundDetector, name: str) -> Detections:
    mask = cv2.imread(str(MASKS / name), cv2.IMREAD_GRAYSCALE)
    detector.foreground = lambda image: mask.copy()  # type: ignore[method-assign]
    return detector.detect(np.zeros((720, 1280, 3), np.uint8))


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Left edges of a farther vehicle (rows 0-3), then of a nearer one starting 6 px
        # in, whose side leans inwards by a column a row going up.
        ((2, 2, 1, 1, 7, 6, 5), [(3, 1, 7, 1.0)]),
        # ... or stands upright.
        ((2, 2, 1, 1, 7, 7, 7), [(3, 1, 7, 0.0)]),
        # A slanted lower side steps in row after row: no shelf.
        ((0, 3, 6, 9, 12, 15), []),
        # A vehicle that widens downwards: no shelf.
        ((6, 5, 4, 2, 1, 0), []),
    ],
)
def test_a_shelf_is_a_sharp_inward_step_of_the_left_edge(
    rows: tuple[int, ...], expected: list[tuple[int, int, int, float]]
) -> None:
    blob = np.zeros((len(rows), 20), bool)
    for row, left in enumerate(rows):
        blob[row, left:] = True
    assert side_shelves(blob) == expected


def test_a_car_beside_a_bus_that_covers_the_road_between_them_gets_its_own_box() -> None:
    # Truth: the car's ground point is at about (204, 415) px of the 1080p clip, i.e.
    # (136, 277) at 720p; its bottom edge is partly hidden behind the bus.
    merged = detect_on_mask(junction_detector(min_shelf_m=float("inf")), "junction_s3_frame168.png")
    split = detect_on_mask(junction_detector(), "junction_s3_frame168.png")
    assert len(split) == len(merged) + 1
    car = int(np.argmin(split.ground_px[:, 0]))
    x, y = split.ground_px[car]
    assert abs(y - 277) <= 6
    assert split.xyxy[car, 0] <= x < 136 + 40
    # Its box reaches up along the bus's leaning side (true box about x 25-335, y 9-283),
    # not only as far as the shelf's inner end (x 144).
    assert split.xyxy[car, 2] > 220
    # The bus keeps its ground point at the bottom of the frame.
    assert split.ground_px[:, 1].max() == merged.ground_px[:, 1].max()


def test_a_grey_car_fallen_apart_into_outlines_is_not_cut() -> None:
    mask = cv2.imread(str(MASKS / "junction_s5_frame630.png"), cv2.IMREAD_GRAYSCALE)
    mask[:, :160] = 0  # the grey car alone, without the motorcycle beside the truck
    count, labels, stats = _label(mask)
    shelves = [
        side_shelves(labels[y : y + h, x : x + w] == k)
        for k, (x, y, w, h, _) in enumerate(stats[1:].tolist(), start=1)
    ]
    assert sum(len(s) for s in shelves) > 0  # its outlines do step in and out
    detector = junction_detector()
    assert not detector._cut_side_by_side(mask.copy(), labels, stats)
