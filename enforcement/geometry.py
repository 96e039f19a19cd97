"""Image pixels ⇄ road metres, and validation of a camera's drawn geometry.

A `Calibration` is a planar homography fitted to surveyed image⇄road point pairs; its
reprojection error (RMS, in metres on the road) says how far to trust it.
`validate_config` turns a `CameraConfig` into a `ValidatedCamera` (shapely shapes plus
the calibration) or raises an error whose message says what to redraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from shapely.geometry import LineString, Point, Polygon
from shapely.validation import explain_validity

from enforcement.camera_config import CameraConfig, CameraConfigError

# Points whose spread across their best-fit line is below this fraction of their spread
# along it are treated as collinear: a homography from them is meaningless.
_COLLINEARITY_RATIO = 0.02
# Beyond this condition number the homography amplifies pixel noise into metres wildly.
_MAX_HOMOGRAPHY_CONDITION = 1e12


class CalibrationError(CameraConfigError):
    """The image⇄road calibration cannot be used; the message says what to fix."""


class GeometryError(CameraConfigError):
    """A lane, line, stop line or signal ROI is drawn wrongly; the message says which."""


def _as_points(points: Sequence[Sequence[float]] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise CalibrationError(f"{name} must have shape (N, 2), got {array.shape}")
    return array


def _is_collinear(points: np.ndarray) -> bool:
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    return bool(singular[0] == 0 or singular[1] / singular[0] < _COLLINEARITY_RATIO)


def _project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 3×3 homography to (N, 2) points; returns (N, 2)."""
    if len(points) == 0:
        return np.zeros((0, 2), dtype=np.float64)
    # [x, y, 1] @ H.T without building the column of ones: this runs per vehicle per frame.
    projected = points @ homography[:, :2].T + homography[:, 2]
    return projected[:, :2] / projected[:, 2:3]


@dataclass(frozen=True)
class Calibration:
    """A homography from image pixels to road metres, with its reprojection error.

    Example:
        >>> cal = Calibration.from_points([[0, 0], [100, 0], [100, 100], [0, 100]],
        ...                               [[0, 0], [10, 0], [10, 10], [0, 10]])
        >>> cal.image_to_road([[50, 50]]).round(3).tolist()
        [[5.0, 5.0]]
    """

    image_to_road_h: np.ndarray
    road_to_image_h: np.ndarray
    reprojection_error_m: float
    max_point_error_m: float
    inliers: int

    @classmethod
    def from_points(
        cls,
        image_px: Sequence[Sequence[float]] | np.ndarray,
        road_m: Sequence[Sequence[float]] | np.ndarray,
        *,
        max_reprojection_error_m: float | None = None,
    ) -> Calibration:
        """Fit the homography; RANSAC when more than 4 point pairs are given.

        Raises:
            CalibrationError: fewer than 4 pairs, collinear points, a degenerate
                homography, or an RMS error above ``max_reprojection_error_m``.
        """
        image = _as_points(image_px, "image points")
        road = _as_points(road_m, "road points")
        if len(image) != len(road):
            raise CalibrationError(
                f"calibration has {len(image)} image points but {len(road)} road points; "
                "each image point needs its surveyed road position"
            )
        if len(image) < 4:
            raise CalibrationError(
                f"calibration needs at least 4 image⇄road point pairs, got {len(image)}; "
                "survey more points on the road surface"
            )
        for name, pts in (("image", image), ("road", road)):
            if _is_collinear(pts):
                raise CalibrationError(
                    f"the calibration's {name} points lie on one line; pick points spread "
                    "across the road in both directions (e.g. the corners of a lane segment)"
                )
        method = cv2.RANSAC if len(image) > 4 else 0
        homography, mask = cv2.findHomography(image, road, method, 0.25)
        if homography is None:
            raise CalibrationError(
                "no homography fits these calibration points; check each image point is "
                "paired with the right road point"
            )
        _check_not_degenerate(homography, image)
        inverse = np.linalg.inv(homography)
        errors = np.linalg.norm(_project(homography, image) - road, axis=1)
        rms = float(np.sqrt(np.mean(errors**2)))
        if max_reprojection_error_m is not None and rms > max_reprojection_error_m:
            worst = int(np.argmax(errors))
            raise CalibrationError(
                f"calibration reprojection error is {rms:.2f} m RMS, above the allowed "
                f"{max_reprojection_error_m:.2f} m; point {worst} is off by "
                f"{errors[worst]:.2f} m: re-survey it or remove it"
            )
        inliers = int(mask.sum()) if mask is not None else len(image)
        return cls(homography, inverse, rms, float(errors.max()), inliers)

    @classmethod
    def from_config(cls, config: CameraConfig) -> Calibration:
        return cls.from_points(
            [p.image_px for p in config.calibration],
            [p.road_m for p in config.calibration],
            max_reprojection_error_m=config.max_reprojection_error_m,
        )

    def image_to_road(self, points_px: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """Map (N, 2) image pixels to (N, 2) road metres."""
        return _project(self.image_to_road_h, np.asarray(points_px, dtype=np.float64))

    def road_to_image(self, points_m: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """Map (N, 2) road metres to (N, 2) image pixels."""
        return _project(self.road_to_image_h, np.asarray(points_m, dtype=np.float64))


def _check_not_degenerate(homography: np.ndarray, image: np.ndarray) -> None:
    if not np.all(np.isfinite(homography)):
        raise CalibrationError("the calibration homography is not finite; re-survey the points")
    det = float(np.linalg.det(homography))
    if abs(det) < 1e-15 or np.linalg.cond(homography) > _MAX_HOMOGRAPHY_CONDITION:
        raise CalibrationError(
            "the calibration homography is degenerate (it squashes the road onto a line); "
            "the points are probably mis-paired or nearly collinear"
        )
    # Every calibration point must lie on the same side of the horizon; otherwise the
    # mapping folds the road plane through infinity between them.
    w = np.hstack([image, np.ones((len(image), 1))]) @ homography[2]
    if not (np.all(w > 0) or np.all(w < 0)):
        raise CalibrationError(
            "the calibration maps some points beyond the horizon; check the point pairs "
            "are in the same order in the image and on the road"
        )


@dataclass(frozen=True)
class ValidatedCamera:
    """A camera configuration whose geometry checked out, with shapes ready to query."""

    config: CameraConfig
    calibration: Calibration
    lane_polygons: dict[str, Polygon]
    lane_directions_m: dict[str, np.ndarray]
    lane_lines: dict[str, LineString]
    stop_line: LineString | None
    speed_zone: Polygon | None

    def lane_at(self, point_px: tuple[float, float]) -> str | None:
        """The id of the lane containing an image point, or None."""
        point = Point(point_px)
        for lane_id, polygon in self.lane_polygons.items():
            if polygon.contains(point):
                return lane_id
        return None


def _polygon(points: Sequence[tuple[float, float]], what: str) -> Polygon:
    if len(points) < 3:
        raise GeometryError(f"{what} needs at least 3 points, got {len(points)}")
    polygon = Polygon(points)
    # A bow-tie's two halves can cancel to zero area: report the crossing, not emptiness.
    crossing = not polygon.exterior.is_simple
    if (polygon.is_empty or polygon.area <= 0) and not crossing:
        raise GeometryError(f"{what} is empty (zero area); draw it around the road area")
    if crossing or not polygon.is_valid:
        raise GeometryError(
            f"{what} is invalid: {explain_validity(polygon)}; redraw it without crossing edges"
        )
    return polygon


def _lane_direction_m(calibration: Calibration, arrow_px: tuple, lane_id: str) -> np.ndarray:
    tail, head = calibration.image_to_road([arrow_px[0], arrow_px[1]])
    vector = head - tail
    length = float(np.linalg.norm(vector))
    if length < 1e-6:
        raise GeometryError(f"lane {lane_id}: its direction arrow has zero length; redraw it")
    return vector / length


def validate_config(config: CameraConfig) -> ValidatedCamera:
    """Check a camera's calibration and drawn geometry; return shapes ready for the engine.

    Raises:
        CalibrationError: the calibration points cannot give a trustworthy homography.
        GeometryError: a lane, lane line, stop line, speed zone or signal ROI is wrong.
    """
    calibration = Calibration.from_config(config)
    width, height = config.resolution
    if not config.lanes:
        raise GeometryError("the camera has no lanes; draw at least one lane polygon")
    lane_polygons: dict[str, Polygon] = {}
    directions: dict[str, np.ndarray] = {}
    for lane in config.lanes:
        if lane.id in lane_polygons:
            raise GeometryError(f"lane id {lane.id!r} is used twice; lane ids must be unique")
        lane_polygons[lane.id] = _polygon(lane.polygon_px, f"lane {lane.id} polygon")
        directions[lane.id] = _lane_direction_m(calibration, lane.direction_px, lane.id)
    lane_lines: dict[str, LineString] = {}
    for line in config.lane_lines:
        if len(line.points_px) < 2:
            raise GeometryError(f"lane line {line.id} needs at least 2 points")
        lane_lines[line.id] = LineString(line.points_px)
    stop_line = None
    if config.stop_line is not None:
        stop_line = LineString(config.stop_line.points_px)
        if stop_line.length <= 0:
            raise GeometryError("the stop line has zero length; draw it across its lanes")
        for lane_id in config.stop_line.lane_ids:
            if lane_id not in lane_polygons:
                raise GeometryError(f"the stop line refers to unknown lane {lane_id!r}")
            polygon = lane_polygons[lane_id]
            # A stop line drawn edge to edge touches the lane's boundary at its ends, so
            # test the length inside the lane rather than shapely's strict `crosses`.
            if stop_line.intersection(polygon).length < 1.0:
                raise GeometryError(
                    f"the stop line does not cross lane {lane_id}; extend it across the lane "
                    "or remove the lane from the stop line's lanes"
                )
    if config.signal is not None:
        x, y, w, h = config.signal.roi_px
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
            raise GeometryError(
                f"the signal head ROI {config.signal.roi_px} is outside the {width}×{height} "
                "frame; draw it around the signal head inside the image"
            )
    speed_zone = None
    if config.speed_zone is not None:
        speed_zone = _polygon(config.speed_zone.polygon_px, "speed zone")
    return ValidatedCamera(
        config=config,
        calibration=calibration,
        lane_polygons=lane_polygons,
        lane_directions_m=directions,
        lane_lines=lane_lines,
        stop_line=stop_line,
        speed_zone=speed_zone,
    )
