"""How wide a number plate appears in a camera's image: can this camera read plates?

ANPR needs enough pixels across a plate. A camera that watches four lanes from a gantry
at 720p sees car plates under 30 px wide, which no reader resolves; the same view at
4K gives about 90 px. This estimate lets an operator see that when onboarding a camera,
before any footage exists.
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import LineString, box

from enforcement.geometry import ValidatedCamera

# A car plate is 325 mm wide (../shared/PLATES.md); motorcycle plates are narrower.
CAR_PLATE_WIDTH_M = 0.325
# Below this estimate, plates are mostly unreadable. benchmarks.anpr on generated scenes:
# the highway camera at 720p (estimate 27 px) read 1 track in 17, at 4K (81 px) 16 in
# 17; the junction camera at 720p (58 px) read 8 in 9 (its miss: a motorcycle plate,
# two thirds as wide as a car's).
MIN_READABLE_PLATE_PX = 50.0


def plate_widths_px(
    camera: ValidatedCamera, plate_width_m: float = CAR_PLATE_WIDTH_M
) -> dict[str, float]:
    """Per lane, the widest (px) a plate appears: where the lane is nearest the camera
    inside the frame, measured across the lane's direction on the road plane.

    A plate hangs half a metre above the road, a little nearer the camera than the road
    under it, so this slightly underestimates; it is a planning figure, not a
    measurement.
    """
    width, height = camera.config.resolution
    frame = box(0, 0, width, height)
    widths: dict[str, float] = {}
    for lane_id, polygon in camera.lane_polygons.items():
        visible = polygon.intersection(frame)
        if visible.is_empty or visible.area <= 0:
            widths[lane_id] = 0.0
            continue
        bottom = visible.bounds[3] - 1.0
        across = visible.intersection(LineString([(0, bottom), (width, bottom)]))
        centre_px = np.array([[across.centroid.x, across.centroid.y]])
        centre_m = camera.calibration.image_to_road(centre_px)[0]
        dx, dy = camera.lane_directions_m[lane_id]
        half = np.array([-dy, dx]) * plate_width_m / 2
        ends_px = camera.calibration.road_to_image(np.array([centre_m - half, centre_m + half]))
        widths[lane_id] = float(np.linalg.norm(ends_px[1] - ends_px[0]))
    return widths


def unreadable_plate_lanes(
    camera: ValidatedCamera, min_width_px: float = MIN_READABLE_PLATE_PX
) -> dict[str, float]:
    """The lanes whose plates appear narrower than ``min_width_px`` (id -> px)."""
    return {lane: px for lane, px in plate_widths_px(camera).items() if px < min_width_px}
