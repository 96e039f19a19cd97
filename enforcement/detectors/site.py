"""A camera's drawn geometry in the forms detectors query every frame.

Point-in-polygon tests stay in image pixels (cheap with OpenCV); distances, directions
and crossings are in road metres through the calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from enforcement.geometry import ValidatedCamera


def _contour(points: tuple[tuple[float, float], ...]) -> np.ndarray:
    return np.asarray(points, dtype=np.float32).reshape(-1, 1, 2)


def inside(contour: np.ndarray, point_px: tuple[float, float]) -> bool:
    return cv2.pointPolygonTest(contour, (float(point_px[0]), float(point_px[1])), False) >= 0


def cross2(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


@dataclass(frozen=True)
class Segment:
    """A straight line in road metres."""

    a_m: np.ndarray
    b_m: np.ndarray

    def signed_distance_along(self, point_m: np.ndarray, direction: np.ndarray) -> float:
        """How far ``point_m`` is past this line, measured along ``direction`` (metres).

        Negative before the line; the line need not be perpendicular to the direction.
        """
        edge = self.b_m - self.a_m
        denominator = cross2(direction, edge)
        if abs(denominator) < 1e-9:
            return float("nan")
        return cross2(point_m - self.a_m, edge) / denominator


@dataclass(frozen=True)
class Polyline:
    """A painted lane line in road metres."""

    id: str
    points_m: np.ndarray

    def lateral_offset_m(self, point_m: np.ndarray) -> float | None:
        """Signed distance to the line (left < 0 < right), or None beyond its ends."""
        for a, b in zip(self.points_m[:-1], self.points_m[1:], strict=True):
            edge = b - a
            length2 = float(edge @ edge)
            if length2 <= 0:
                continue
            t = float((point_m - a) @ edge) / length2
            if 0.0 <= t <= 1.0:
                return cross2(edge, point_m - a) / float(np.sqrt(length2))
        return None


@dataclass(frozen=True)
class Site:
    """Detector-ready geometry of one camera."""

    camera: ValidatedCamera
    lane_contours: dict[str, np.ndarray]
    lane_kinds: dict[str, str]
    lane_free_turn: dict[str, bool]
    lane_directions_m: dict[str, np.ndarray]
    lane_approaching: dict[str, bool]
    solid_lines: tuple[Polyline, ...]
    stop_line: Segment | None
    stop_line_lanes: frozenset[str]
    zone_contour: np.ndarray | None
    zone_length_m: float
    entry_line: Segment | None
    exit_line: Segment | None

    @classmethod
    def from_camera(cls, camera: ValidatedCamera) -> Site:
        config, cal = camera.config, camera.calibration

        def segment(points: tuple[tuple[float, float], tuple[float, float]]) -> Segment:
            a, b = cal.image_to_road(np.asarray(points))
            return Segment(a, b)

        zone_contour = None
        zone_length_m = 0.0
        if config.speed_zone is not None:
            zone_contour = _contour(config.speed_zone.polygon_px)
            corners_m = cal.image_to_road(np.asarray(config.speed_zone.polygon_px))
            directions = list(camera.lane_directions_m.values())
            # Lanes in opposite directions share one road axis: align their signs.
            mean_dir = np.sum([d if d @ directions[0] >= 0 else -d for d in directions], axis=0)
            mean_dir = mean_dir / np.linalg.norm(mean_dir)
            along = corners_m @ mean_dir
            zone_length_m = float(along.max() - along.min())
        return cls(
            camera=camera,
            lane_contours={lane.id: _contour(lane.polygon_px) for lane in config.lanes},
            lane_kinds={lane.id: lane.kind for lane in config.lanes},
            lane_free_turn={lane.id: lane.free_turn for lane in config.lanes},
            lane_directions_m=dict(camera.lane_directions_m),
            # Traffic coming towards the camera moves down the image: its nearest
            # bumper, the box's bottom edge, is its front.
            lane_approaching={
                lane.id: lane.direction_px[1][1] > lane.direction_px[0][1] for lane in config.lanes
            },
            solid_lines=tuple(
                Polyline(line.id, cal.image_to_road(np.asarray(line.points_px)))
                for line in config.lane_lines
                if line.style == "solid"
            ),
            stop_line=segment(config.stop_line.points_px) if config.stop_line else None,
            stop_line_lanes=frozenset(config.stop_line.lane_ids)
            if config.stop_line
            else frozenset(),
            zone_contour=zone_contour,
            zone_length_m=zone_length_m,
            entry_line=(
                segment(config.speed_zone.entry_line_px)
                if config.speed_zone and config.speed_zone.entry_line_px
                else None
            ),
            exit_line=(
                segment(config.speed_zone.exit_line_px)
                if config.speed_zone and config.speed_zone.exit_line_px
                else None
            ),
        )

    def lane_at(self, point_px: tuple[float, float]) -> str | None:
        for lane_id, contour in self.lane_contours.items():
            if inside(contour, point_px):
                return lane_id
        return None

    def in_zone(self, point_px: tuple[float, float]) -> bool:
        return self.zone_contour is not None and inside(self.zone_contour, point_px)
