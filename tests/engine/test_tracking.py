"""The tracker on scripted detections."""

from __future__ import annotations

import numpy as np

from enforcement.detection import Detections
from enforcement.tracking import Tracker


def _frame(boxes: list[list[float]], anchors: list[list[float]]) -> Detections:
    n = len(boxes)
    return Detections(
        np.array(boxes, dtype=np.float64).reshape(-1, 4),
        np.ones(n),
        np.full(n, -1, np.int64),
        anchor_px=np.array(anchors, dtype=np.float64).reshape(-1, 2),
    )


def test_a_merged_blob_that_splits_keeps_its_track_on_the_part_whose_ground_point_continues() -> (
    None
):
    # A car drives down the image; a truck in the next lane, farther away, merges with
    # it into one wide blob whose lowest point is still the car's.
    tracker = Tracker(min_hits=1)
    for step in range(6):
        y = 10.0 * step
        merged = [100.0, 0.0, 300.0, 100.0 + y]
        tracked = tracker.update(_frame([merged], [[140.0, 100.0 + y]]))
    (track_id,) = tracked.tracker_id.tolist()
    # Then they part: the truck's box overlaps the old one most, the car's continues
    # its ground point.
    truck, car = [170.0, 0.0, 305.0, 90.0], [100.0, 70.0, 180.0, 170.0]
    tracked = tracker.update(_frame([truck, car], [[238.0, 90.0], [140.0, 170.0]]))
    ids = dict(zip(tracked.tracker_id.tolist(), tracked.xyxy.tolist(), strict=True))
    assert ids[track_id] == car


def test_a_vehicle_driving_alone_keeps_one_track() -> None:
    tracker = Tracker(min_hits=1)
    seen = set()
    for step in range(10):
        y = 12.0 * step
        box = [200.0, 50.0 + y, 260.0, 110.0 + y]
        seen.update(tracker.update(_frame([box], [[230.0, 110.0 + y]])).tracker_id.tolist())
    assert seen == {1}
