"""Draw a camera's configuration (and optionally tracked vehicles) over a frame.

An operator checks a calibration by eye: the metric grid, projected from road metres
through the homography, must lie flat on the road with its lines along the lanes.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from enforcement.geometry import ValidatedCamera

LANE_COLOURS = {"general": (0, 200, 0), "bus": (0, 0, 220), "no_entry": (0, 200, 255)}
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _poly(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    return np.round(np.asarray(points, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)


def draw_metric_grid(image: np.ndarray, camera: ValidatedCamera, step_m: float = 5.0) -> None:
    """Grid lines every ``step_m`` over the road area the lanes cover."""
    lanes = np.vstack([np.asarray(lane.polygon_px) for lane in camera.config.lanes])
    road = camera.calibration.image_to_road(lanes)
    x0, y0 = np.floor(road.min(axis=0) / step_m) * step_m
    x1, y1 = np.ceil(road.max(axis=0) / step_m) * step_m
    height, width = image.shape[:2]
    colour = (255, 200, 0)

    def polyline(points_m: np.ndarray) -> None:
        px = camera.calibration.road_to_image(points_m)
        ok = np.all(np.isfinite(px), axis=1) & (np.abs(px) < 4 * max(width, height)).all(axis=1)
        if ok.sum() >= 2:
            cv2.polylines(image, [_poly(px[ok])], False, colour, 1, cv2.LINE_AA)

    for x in np.arange(x0, x1 + step_m / 2, step_m):
        ys = np.linspace(y0, y1, 40)
        polyline(np.column_stack([np.full_like(ys, x), ys]))
    for y in np.arange(y0, y1 + step_m / 2, step_m):
        xs = np.linspace(x0, x1, 40)
        polyline(np.column_stack([xs, np.full_like(xs, y)]))
        label = camera.calibration.road_to_image([[x0, y]])[0]
        if 0 <= label[0] < width and 0 <= label[1] < height:
            cv2.putText(image, f"{y:.0f} m", (int(label[0]) + 3, int(label[1]) - 3), _FONT, 0.4,
                        colour, 1, cv2.LINE_AA)  # fmt: skip


def draw_config(
    image: np.ndarray, camera: ValidatedCamera, *, grid_step_m: float = 5.0
) -> np.ndarray:
    """A copy of ``image`` with lanes, lane lines, stop line, zone, signal ROI and grid."""
    config = camera.config
    canvas = image.copy()
    shade = canvas.copy()
    for lane in config.lanes:
        cv2.fillPoly(shade, [_poly(lane.polygon_px)], LANE_COLOURS.get(lane.kind, (0, 200, 0)))
    cv2.addWeighted(shade, 0.18, canvas, 0.82, 0, dst=canvas)
    draw_metric_grid(canvas, camera, grid_step_m)
    for lane in config.lanes:
        colour = LANE_COLOURS.get(lane.kind, (0, 200, 0))
        cv2.polylines(canvas, [_poly(lane.polygon_px)], True, colour, 1, cv2.LINE_AA)
        tail, head = (tuple(int(round(v)) for v in p) for p in lane.direction_px)
        cv2.arrowedLine(canvas, tail, head, colour, 2, cv2.LINE_AA, tipLength=0.08)
        label = f"{lane.id} {lane.kind}" + (" free-turn" if lane.free_turn else "")
        cv2.putText(canvas, label, (tail[0] + 4, tail[1]), _FONT, 0.45, colour, 1, cv2.LINE_AA)
    for line in config.lane_lines:
        colour = (255, 255, 255) if line.style == "solid" else (180, 180, 180)
        thickness = 3 if line.style == "solid" else 1
        cv2.polylines(canvas, [_poly(line.points_px)], False, colour, thickness, cv2.LINE_AA)
    if config.stop_line is not None:
        a, b = (tuple(int(round(v)) for v in p) for p in config.stop_line.points_px)
        cv2.line(canvas, a, b, (0, 0, 255), 3, cv2.LINE_AA)
        cv2.putText(canvas, "stop line", (a[0], a[1] - 6), _FONT, 0.5, (0, 0, 255), 1, cv2.LINE_AA)
    if config.speed_zone is not None:
        cv2.polylines(canvas, [_poly(config.speed_zone.polygon_px)], True, (255, 0, 255), 2,
                      cv2.LINE_AA)  # fmt: skip
    if config.signal is not None:
        x, y, w, h = config.signal.roi_px
        cv2.rectangle(canvas, (x, y), (x + w, y + h), (0, 255, 255), 2)
        cv2.putText(canvas, "signal", (x, max(12, y - 4)), _FONT, 0.45, (0, 255, 255), 1,
                    cv2.LINE_AA)  # fmt: skip
    return canvas


def draw_tracks(
    image: np.ndarray,
    boxes: Sequence[tuple[int, tuple[float, float, float, float], str]],
) -> None:
    """Box and label each ``(track_id, xyxy, label)`` in place."""
    for track_id, xyxy, label in boxes:
        x0, y0, x1, y1 = (int(round(v)) for v in xyxy)
        colour = tuple(int(c) for c in np.random.default_rng(track_id).integers(80, 255, 3))
        cv2.rectangle(image, (x0, y0), (x1, y1), colour, 2)
        cv2.circle(image, ((x0 + x1) // 2, y1), 3, colour, -1)
        text = f"#{track_id} {label}".strip()
        cv2.putText(image, text, (x0, max(12, y0 - 4)), _FONT, 0.5, colour, 1, cv2.LINE_AA)
