"""Camera onboarding: `camera.json` ⇄ the camera models, validated by the engine's geometry.

Views, admin and commands call these functions; they hold the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from enforcement.camera_config import (
    CalibrationPoint as CalibrationPointData,
)
from enforcement.camera_config import (
    CameraConfig,
    CameraConfigError,
    SpeedZone,
)
from enforcement.camera_config import (
    Lane as LaneData,
)
from enforcement.camera_config import (
    LaneLine as LaneLineData,
)
from enforcement.camera_config import (
    SignalHead as SignalHeadData,
)
from enforcement.camera_config import (
    StopLine as StopLineData,
)
from enforcement.models import (
    CalibrationPoint,
    Camera,
    City,
    Lane,
    LaneLine,
    SignalHead,
    StopLine,
)

if TYPE_CHECKING:
    from enforcement.geometry import ValidatedCamera


def _pairs(points: object) -> list[list[float]]:
    return [[float(x), float(y)] for x, y in points]  # type: ignore[attr-defined]


def validate_camera_config(config: CameraConfig) -> float:
    """Check the geometry with the engine; return the calibration's RMS error in metres.

    Raises `CameraConfigError` (or a subclass) with a message that says what to fix.
    """
    from enforcement.geometry import validate_config

    validated = validate_config(config)
    return float(validated.calibration.reprojection_error_m)


def plate_size_warnings(config: CameraConfig) -> list[str]:
    """What an operator should know before relying on this camera for ANPR: one line
    per lane whose plates appear too narrow to read (see `enforcement.plate_size`)."""
    from enforcement.geometry import validate_config

    return validated_plate_size_warnings(validate_config(config))


def validated_plate_size_warnings(validated: ValidatedCamera) -> list[str]:
    """`plate_size_warnings` of a configuration the engine has validated already."""
    from enforcement.plate_size import MIN_READABLE_PLATE_PX, unreadable_plate_lanes

    narrow = unreadable_plate_lanes(validated)
    return [
        f"lane {lane}: car plates appear at most ~{px:.0f} px wide (ANPR needs about "
        f"{MIN_READABLE_PLATE_PX:.0f}); expect unreadable plates for wardens to type: use a "
        "higher resolution, a narrower view or a dedicated ANPR camera"
        for lane, px in sorted(narrow.items())
    ]


@transaction.atomic
def import_camera_config(config: CameraConfig, *, city: City | None = None) -> Camera:
    """Create or replace a camera from a validated configuration."""
    error_m = validate_camera_config(config)
    if city is None:
        try:
            city = City.objects.get(code=config.city)
        except City.DoesNotExist:
            raise CameraConfigError(
                f"camera {config.code}: unknown city code {config.city!r}; "
                "load the cities fixture or pass --city"
            )
    zone = config.speed_zone
    camera, _ = Camera.objects.update_or_create(
        code=config.code,
        defaults={
            "name": config.name,
            "city": city,
            "location": config.location,
            "width_px": config.resolution[0],
            "height_px": config.resolution[1],
            "fps": config.fps,
            "speed_limit_kmh": config.speed_limit_kmh,
            "speed_tolerance_kmh": config.speed_tolerance_kmh,
            "red_grace_s": config.red_grace_s,
            "restricted_lane_min_distance_m": config.restricted_lane_min_distance_m,
            "max_reprojection_error_m": config.max_reprojection_error_m,
            "speed_zone": (
                {
                    "polygon_px": _pairs(zone.polygon_px),
                    "entry_line_px": _pairs(zone.entry_line_px) if zone.entry_line_px else None,
                    "exit_line_px": _pairs(zone.exit_line_px) if zone.exit_line_px else None,
                }
                if zone
                else None
            ),
            "extra": dict(config.extra),
            "reprojection_error_m": error_m,
            "config_version": config.version,
        },
    )
    camera.lanes.all().delete()
    camera.lane_lines.all().delete()
    camera.calibration_points.all().delete()
    StopLine.objects.filter(camera=camera).delete()
    SignalHead.objects.filter(camera=camera).delete()
    Lane.objects.bulk_create(
        Lane(
            camera=camera,
            lane_id=lane.id,
            kind=lane.kind,
            polygon_px=_pairs(lane.polygon_px),
            direction_px=_pairs(lane.direction_px),
            free_turn=lane.free_turn,
        )
        for lane in config.lanes
    )
    LaneLine.objects.bulk_create(
        LaneLine(camera=camera, line_id=line.id, style=line.style, points_px=_pairs(line.points_px))
        for line in config.lane_lines
    )
    CalibrationPoint.objects.bulk_create(
        CalibrationPoint(
            camera=camera,
            image_x_px=p.image_px[0],
            image_y_px=p.image_px[1],
            road_x_m=p.road_m[0],
            road_y_m=p.road_m[1],
        )
        for p in config.calibration
    )
    if config.stop_line:
        StopLine.objects.create(
            camera=camera,
            points_px=_pairs(config.stop_line.points_px),
            lane_ids=list(config.stop_line.lane_ids),
        )
    if config.signal:
        SignalHead.objects.create(
            camera=camera,
            roi_px=list(config.signal.roi_px),
            layout=config.signal.layout,
            amber_s=config.signal.amber_s,
            all_red_s=config.signal.all_red_s,
        )
    return camera


def _segment(raw: list[list[float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    (x1, y1), (x2, y2) = raw
    return ((x1, y1), (x2, y2))


def camera_to_config(camera: Camera) -> CameraConfig:
    """The engine's plain configuration for a camera (what `process_video` runs with)."""
    zone = camera.speed_zone or None
    stop_line = StopLine.objects.filter(camera=camera).first()
    signal = SignalHead.objects.filter(camera=camera).first()
    return CameraConfig(
        code=camera.code,
        name=camera.name,
        city=camera.city.code,
        location=camera.location,
        resolution=(camera.width_px, camera.height_px),
        fps=camera.fps,
        speed_limit_kmh=camera.speed_limit_kmh,
        speed_tolerance_kmh=camera.speed_tolerance_kmh,
        red_grace_s=camera.red_grace_s,
        restricted_lane_min_distance_m=camera.restricted_lane_min_distance_m,
        max_reprojection_error_m=camera.max_reprojection_error_m,
        calibration=tuple(
            CalibrationPointData(
                image_px=(p.image_x_px, p.image_y_px), road_m=(p.road_x_m, p.road_y_m)
            )
            for p in camera.calibration_points.order_by("pk")
        ),
        lanes=tuple(
            LaneData(
                id=lane.lane_id,
                kind=lane.kind,
                polygon_px=tuple((x, y) for x, y in lane.polygon_px),
                direction_px=_segment(lane.direction_px),
                free_turn=lane.free_turn,
            )
            for lane in camera.lanes.order_by("pk")
        ),
        lane_lines=tuple(
            LaneLineData(
                id=line.line_id,
                style=line.style,
                points_px=tuple((x, y) for x, y in line.points_px),
            )
            for line in camera.lane_lines.order_by("pk")
        ),
        stop_line=(
            StopLineData(
                points_px=_segment(stop_line.points_px), lane_ids=tuple(stop_line.lane_ids)
            )
            if stop_line
            else None
        ),
        signal=(
            SignalHeadData(
                roi_px=tuple(signal.roi_px),  # type: ignore[arg-type]
                layout=signal.layout,
                amber_s=signal.amber_s,
                all_red_s=signal.all_red_s,
            )
            if signal
            else None
        ),
        speed_zone=(
            SpeedZone(
                polygon_px=tuple((x, y) for x, y in zone["polygon_px"]),
                entry_line_px=_segment(zone["entry_line_px"])
                if zone.get("entry_line_px")
                else None,
                exit_line_px=_segment(zone["exit_line_px"]) if zone.get("exit_line_px") else None,
            )
            if zone
            else None
        ),
        extra=dict(camera.extra),
    )
