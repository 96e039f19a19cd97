"""Shared builders for engine tests: a simple camera whose geometry is easy to reason about."""

from __future__ import annotations

from typing import Any

import pytest

from enforcement.camera_config import CameraConfig

# A top-down camera: 20 px per metre, road x across (image x), road y along the road
# away from the camera (image y grows towards the camera, so y_m = (1000 - y_px) / 20).
PX_PER_M = 20.0


def road_to_px(x_m: float, y_m: float) -> tuple[float, float]:
    return (x_m * PX_PER_M, 1000.0 - y_m * PX_PER_M)


def camera_dict(**overrides: Any) -> dict[str, Any]:
    """Two lanes (L1 general, L2 bus) whose traffic comes towards the camera (down the
    image, towards smaller road y), a solid line between them, a stop line at y = 30 m,
    a speed zone from 5 m to 45 m and a signal head."""
    data: dict[str, Any] = {
        "code": "TEST-01",
        "name": "test camera",
        "city": "LHR",
        "location": "test road",
        "resolution": [400, 1000],
        "fps": 25.0,
        "speed_limit_kmh": 60.0,
        "speed_tolerance_kmh": 5.0,
        "red_grace_s": 0.3,
        "restricted_lane_min_distance_m": 10.0,
        "calibration": [
            {"image_px": road_to_px(x, y), "road_m": [x, y]}
            for x, y in ((0, 0), (10, 0), (10, 40), (0, 40), (5, 20))
        ],
        "lanes": [
            {
                "id": "L1",
                "kind": "general",
                "polygon_px": [road_to_px(*p) for p in ((0, 0), (5, 0), (5, 49), (0, 49))],
                "direction_px": [road_to_px(2.5, 40), road_to_px(2.5, 5)],
            },
            {
                "id": "L2",
                "kind": "bus",
                "polygon_px": [road_to_px(*p) for p in ((5, 0), (10, 0), (10, 49), (5, 49))],
                "direction_px": [road_to_px(7.5, 40), road_to_px(7.5, 5)],
            },
        ],
        "lane_lines": [
            {"id": "S1", "style": "solid", "points_px": [road_to_px(5, 0), road_to_px(5, 49)]}
        ],
        "stop_line": {"points_px": [road_to_px(0, 30), road_to_px(10, 30)], "lane_ids": ["L1"]},
        "signal": {"roi_px": [300, 10, 20, 60]},
        "speed_zone": {
            "polygon_px": [road_to_px(*p) for p in ((0, 5), (10, 5), (10, 45), (0, 45))]
        },
    }
    data.update(overrides)
    return data


@pytest.fixture
def config() -> CameraConfig:
    return CameraConfig.from_dict(camera_dict())
