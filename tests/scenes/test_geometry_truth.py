"""Truth positions, calibration and pixels agree: the calibration is exact."""

from __future__ import annotations

import cv2
import numpy as np

from tests.scenes.conftest import Rendered


def _homography(scene: Rendered) -> np.ndarray:
    road = np.array([p.road_m for p in scene.camera.calibration], dtype=np.float64)
    image = np.array([p.image_px for p in scene.camera.calibration], dtype=np.float64)
    h, _ = cv2.findHomography(road, image, 0)
    return h


def test_camera_json_has_surveyed_calibration_inside_the_frame(short_scene: Rendered) -> None:
    cam = short_scene.camera
    width, height = cam.resolution
    assert len(cam.calibration) >= 6
    for point in cam.calibration:
        assert 0 <= point.image_px[0] < width and 0 <= point.image_px[1] < height
        # Rounded as a surveyor gives them: 0.01 px and 1 mm.
        assert round(point.image_px[0], 2) == point.image_px[0]
        assert round(point.road_m[1], 3) == point.road_m[1]


def test_truth_positions_project_onto_ground_points_within_a_pixel(short_scene: Rendered) -> None:
    # Checked where the calibration is meant to hold: ground points inside the image.
    h = _homography(short_scene)
    width, height = short_scene.truth["resolution"]
    checked = 0
    for vehicle in short_scene.truth["vehicles"]:
        for frame in vehicle["frames"]:
            x, y = frame["ground_point_px"]
            if not (0 <= x < width and 0 <= y < height):
                continue
            road = np.array([[frame["position_m"]]], dtype=np.float64)
            projected = cv2.perspectiveTransform(road, h)[0, 0]
            error = float(np.linalg.norm(projected - np.array(frame["ground_point_px"])))
            assert error <= 1.0, (vehicle["id"], frame["index"], error)
            checked += 1
    assert checked > 20


def test_ground_points_in_view_lie_inside_their_boxes(short_scene: Rendered) -> None:
    width, height = short_scene.truth["resolution"]
    inside = 0
    for vehicle in short_scene.truth["vehicles"]:
        for frame in vehicle["frames"]:
            x, y = frame["ground_point_px"]
            if not (0 <= x < width and 0 <= y < height):
                continue
            x1, y1, x2, y2 = frame["box_px"]
            assert x1 - 1 <= x <= x2 + 1 and y1 - 1 <= y <= y2 + 1, (vehicle["id"], frame["index"])
            inside += 1
    assert inside > 10


def test_boxes_are_clipped_to_the_frame_and_plates_sit_inside_them(short_scene: Rendered) -> None:
    width, height = short_scene.truth["resolution"]
    plates = 0
    for vehicle in short_scene.truth["vehicles"]:
        for frame in vehicle["frames"]:
            x1, y1, x2, y2 = frame["box_px"]
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
            if frame["plate_box_px"] is not None:
                px1, py1, px2, py2 = frame["plate_box_px"]
                assert x1 - 1 <= px1 < px2 <= x2 + 1 and y1 - 1 <= py1 < py2 <= y2 + 1
                plates += 1
    assert plates > 0


def test_lane_polygons_contain_the_lane_each_truth_frame_names(short_scene: Rendered) -> None:
    lanes = {lane.id: lane for lane in short_scene.camera.lanes}
    named = 0
    for vehicle in short_scene.truth["vehicles"]:
        for frame in vehicle["frames"]:
            if frame["lane"] is None:
                continue
            polygon = np.array(lanes[frame["lane"]].polygon_px, dtype=np.float32)
            distance = cv2.pointPolygonTest(polygon, tuple(frame["ground_point_px"]), True)
            assert distance >= -1.0, (vehicle["id"], frame["index"], frame["lane"])
            named += 1
    assert named > 0
