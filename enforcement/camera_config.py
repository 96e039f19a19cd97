"""A camera site's configuration as plain data: the `camera.json` schema.

This is the contract between the scene generator (which writes `camera.json`), the
Django camera models (which import and export it) and the engine (which takes a
`CameraConfig`). It imports no Django. Geometry validation (homography, polygons)
lives in `enforcement.geometry`; this module only parses and serialises.

Coordinates: image points are pixels ``[x, y]`` with the origin top-left; road
points are metres ``[x_m, y_m]`` on the road plane, in whatever frame the surveyor
used (the generator uses x across the road, y along it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

LANE_KINDS = ("general", "bus", "no_entry")
LINE_STYLES = ("solid", "dashed")

Point = tuple[float, float]


class CameraConfigError(ValueError):
    """A camera configuration that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Lane:
    """A traffic lane: its area in the image, its kind and its direction of travel.

    ``direction_px`` is an arrow drawn in the image (tail, head) along the lane's
    legal direction of travel.
    """

    id: str
    kind: str
    polygon_px: tuple[Point, ...]
    direction_px: tuple[Point, Point]
    free_turn: bool = False


@dataclass(frozen=True)
class LaneLine:
    """A painted line between lanes; crossing a solid one is a violation."""

    id: str
    style: str
    points_px: tuple[Point, ...]


@dataclass(frozen=True)
class StopLine:
    points_px: tuple[Point, Point]
    lane_ids: tuple[str, ...]


@dataclass(frozen=True)
class SignalHead:
    """Where the signal head is in the image (``x, y, w, h``) and its lamp layout."""

    roi_px: tuple[int, int, int, int]
    layout: str = "vertical"
    amber_s: float = 3.0
    all_red_s: float = 2.0


@dataclass(frozen=True)
class CalibrationPoint:
    image_px: Point
    road_m: Point


@dataclass(frozen=True)
class SpeedZone:
    """The speed measurement zone, and optional entry/exit lines for average speed."""

    polygon_px: tuple[Point, ...]
    entry_line_px: tuple[Point, Point] | None = None
    exit_line_px: tuple[Point, Point] | None = None


@dataclass(frozen=True)
class CameraConfig:
    """Everything the engine needs to know about one fixed camera."""

    code: str
    name: str
    city: str
    location: str
    resolution: tuple[int, int]
    fps: float
    speed_limit_kmh: float
    calibration: tuple[CalibrationPoint, ...]
    lanes: tuple[Lane, ...]
    lane_lines: tuple[LaneLine, ...] = ()
    stop_line: StopLine | None = None
    signal: SignalHead | None = None
    speed_zone: SpeedZone | None = None
    speed_tolerance_kmh: float = 5.0
    red_grace_s: float = 0.3
    restricted_lane_min_distance_m: float = 15.0
    max_reprojection_error_m: float = 0.5
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def enforcement_threshold_kmh(self) -> float:
        """The speed above which a vehicle is booked: the limit plus the tolerance."""
        return self.speed_limit_kmh + self.speed_tolerance_kmh

    def lane(self, lane_id: str) -> Lane:
        for lane in self.lanes:
            if lane.id == lane_id:
                return lane
        raise KeyError(lane_id)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        return _lists(data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @property
    def version(self) -> str:
        """A short digest of the configuration; stored with each violation it produced."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CameraConfig:
        try:
            return _parse(data)
        except CameraConfigError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CameraConfigError(f"camera configuration is malformed: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> CameraConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CameraConfigError(f"camera.json is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> CameraConfig:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


def _point(raw: Any) -> Point:
    x, y = raw
    return (float(x), float(y))


def _points(raw: Any) -> tuple[Point, ...]:
    return tuple(_point(p) for p in raw)


def _segment(raw: Any) -> tuple[Point, Point]:
    pts = _points(raw)
    if len(pts) != 2:
        raise CameraConfigError(f"a line segment needs exactly 2 points, got {len(pts)}")
    return (pts[0], pts[1])


def _parse(data: dict[str, Any]) -> CameraConfig:
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise CameraConfigError(f"unsupported camera.json schema_version {version}")
    lanes = []
    for raw in data["lanes"]:
        kind = raw.get("kind", "general")
        if kind not in LANE_KINDS:
            raise CameraConfigError(f"lane {raw['id']}: kind must be one of {LANE_KINDS}")
        lanes.append(
            Lane(
                id=str(raw["id"]),
                kind=kind,
                polygon_px=_points(raw["polygon_px"]),
                direction_px=_segment(raw["direction_px"]),
                free_turn=bool(raw.get("free_turn", False)),
            )
        )
    lane_lines = []
    for raw in data.get("lane_lines", []):
        style = raw.get("style", "dashed")
        if style not in LINE_STYLES:
            raise CameraConfigError(f"lane line {raw['id']}: style must be one of {LINE_STYLES}")
        lane_lines.append(
            LaneLine(id=str(raw["id"]), style=style, points_px=_points(raw["points_px"]))
        )
    stop_line = None
    if data.get("stop_line"):
        raw = data["stop_line"]
        stop_line = StopLine(
            points_px=_segment(raw["points_px"]),
            lane_ids=tuple(str(i) for i in raw.get("lane_ids", [lane.id for lane in lanes])),
        )
    signal = None
    if data.get("signal"):
        raw = data["signal"]
        x, y, w, h = (int(v) for v in raw["roi_px"])
        signal = SignalHead(
            roi_px=(x, y, w, h),
            layout=raw.get("layout", "vertical"),
            amber_s=float(raw.get("amber_s", 3.0)),
            all_red_s=float(raw.get("all_red_s", 2.0)),
        )
    speed_zone = None
    if data.get("speed_zone"):
        raw = data["speed_zone"]
        speed_zone = SpeedZone(
            polygon_px=_points(raw["polygon_px"]),
            entry_line_px=_segment(raw["entry_line_px"]) if raw.get("entry_line_px") else None,
            exit_line_px=_segment(raw["exit_line_px"]) if raw.get("exit_line_px") else None,
        )
    width, height = (int(v) for v in data["resolution"])
    return CameraConfig(
        code=str(data["code"]),
        name=str(data.get("name", data["code"])),
        city=str(data.get("city", "")),
        location=str(data.get("location", "")),
        resolution=(width, height),
        fps=float(data["fps"]),
        speed_limit_kmh=float(data["speed_limit_kmh"]),
        calibration=tuple(
            CalibrationPoint(image_px=_point(p["image_px"]), road_m=_point(p["road_m"]))
            for p in data["calibration"]
        ),
        lanes=tuple(lanes),
        lane_lines=tuple(lane_lines),
        stop_line=stop_line,
        signal=signal,
        speed_zone=speed_zone,
        speed_tolerance_kmh=float(data.get("speed_tolerance_kmh", 5.0)),
        red_grace_s=float(data.get("red_grace_s", 0.3)),
        restricted_lane_min_distance_m=float(data.get("restricted_lane_min_distance_m", 15.0)),
        max_reprojection_error_m=float(data.get("max_reprojection_error_m", 0.5)),
        extra=dict(data.get("extra", {})),
    )
