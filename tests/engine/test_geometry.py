"""Calibration and the validation of a camera's drawn geometry."""

from __future__ import annotations

import numpy as np
import pytest

from enforcement.camera_config import CameraConfig
from enforcement.geometry import (
    Calibration,
    CalibrationError,
    GeometryError,
    validate_config,
)
from tests.engine.conftest import camera_dict, road_to_px

SQUARE_PX = [[100, 100], [300, 100], [300, 300], [100, 300]]
SQUARE_M = [[0, 0], [10, 0], [10, 10], [0, 10]]


def test_it_recovers_a_known_affine_mapping() -> None:
    cal = Calibration.from_points(SQUARE_PX, SQUARE_M)
    assert cal.image_to_road([[200, 200], [100, 300]]).ravel() == pytest.approx([5, 5, 0, 10])
    assert cal.road_to_image([[10, 10]]).ravel() == pytest.approx([300, 300])
    assert cal.reprojection_error_m == pytest.approx(0, abs=1e-9)


def test_it_recovers_a_known_perspective_homography() -> None:
    truth = np.array([[0.05, 0.01, -3.0], [0.002, -0.02, 12.0], [0.0001, 0.002, 1.0]])
    road = np.array([[0, 0], [3.5, 0], [7, 2], [0, 20], [3.5, 25], [7, 30], [1, 12]], float)
    ones = np.ones((len(road), 1))
    image_h = np.hstack([road, ones]) @ np.linalg.inv(truth).T
    image = image_h[:, :2] / image_h[:, 2:]
    cal = Calibration.from_points(image, road)
    assert cal.image_to_road(image).ravel() == pytest.approx(road.ravel(), abs=1e-6)
    assert cal.inliers == len(road)
    assert cal.reprojection_error_m < 1e-6


def test_it_uses_ransac_to_survive_one_bad_point_among_many() -> None:
    image = [[x * 20, 1000 - y * 20] for x in (0, 5, 10) for y in (0, 20, 40)]
    road = [[float(x), float(y)] for x in (0, 5, 10) for y in (0, 20, 40)]
    road[4] = [9.0, 3.0]  # a mis-surveyed point
    cal = Calibration.from_points(image, road)
    assert cal.inliers == 8
    assert cal.image_to_road([[100, 600]]).ravel() == pytest.approx([5, 20], abs=1e-6)


def test_it_rejects_fewer_than_four_points() -> None:
    with pytest.raises(CalibrationError, match="at least 4"):
        Calibration.from_points(SQUARE_PX[:3], SQUARE_M[:3])


def test_it_rejects_collinear_points() -> None:
    with pytest.raises(CalibrationError, match="one line"):
        Calibration.from_points(
            [[0, 0], [10, 10], [20, 20], [30, 30]], [[0, 0], [1, 1], [2, 2], [3, 3.0001]]
        )


def test_it_rejects_a_degenerate_homography_from_mispaired_points() -> None:
    # The road points are given in an order that folds the plane through the horizon.
    with pytest.raises(CalibrationError):
        Calibration.from_points(SQUARE_PX, [[0, 0], [10, 10], [10, 0], [0, 10]])


def test_it_rejects_a_reprojection_error_above_the_bound() -> None:
    image = [*SQUARE_PX, [200, 200]]
    road = [*SQUARE_M, [5, 7]]  # the centre point is 2 m off; no RANSAC inlier set fits
    with pytest.raises(CalibrationError, match="reprojection error"):
        Calibration.from_points(image[:4] + [[200, 200]], road, max_reprojection_error_m=1e-3)


def test_a_valid_camera_validates(config: CameraConfig) -> None:
    camera = validate_config(config)
    assert set(camera.lane_polygons) == {"L1", "L2"}
    assert camera.lane_at(road_to_px(2, 10)) == "L1"
    assert camera.lane_at(road_to_px(7, 10)) == "L2"
    # Traffic comes towards the camera: along decreasing road y.
    assert camera.lane_directions_m["L1"].tolist() == pytest.approx([0, -1])


def _with_lane(polygon_px: list[tuple[float, float]]) -> CameraConfig:
    data = camera_dict()
    data["lanes"][0]["polygon_px"] = polygon_px
    return CameraConfig.from_dict(data)


def test_it_rejects_a_self_intersecting_lane() -> None:
    bowtie = [road_to_px(0, 0), road_to_px(5, 49), road_to_px(5, 0), road_to_px(0, 49)]
    with pytest.raises(GeometryError, match="Self-intersection"):
        validate_config(_with_lane(bowtie))


def test_it_rejects_an_empty_lane() -> None:
    flat = [road_to_px(0, 0)] * 3
    with pytest.raises(GeometryError, match="empty"):
        validate_config(_with_lane(flat))


def test_it_rejects_a_stop_line_that_misses_its_lane() -> None:
    data = camera_dict()
    data["stop_line"] = {"points_px": [road_to_px(6, 30), road_to_px(10, 30)], "lane_ids": ["L1"]}
    with pytest.raises(GeometryError, match="does not cross lane L1"):
        validate_config(CameraConfig.from_dict(data))


def test_it_rejects_a_signal_roi_outside_the_frame() -> None:
    data = camera_dict(signal={"roi_px": [390, 10, 20, 60]})
    with pytest.raises(GeometryError, match="outside the 400×1000 frame"):
        validate_config(CameraConfig.from_dict(data))


def test_geometry_errors_are_camera_config_errors() -> None:
    from enforcement.camera_config import CameraConfigError

    assert issubclass(CalibrationError, CameraConfigError)
    assert issubclass(GeometryError, CameraConfigError)
