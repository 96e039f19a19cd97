"""Camera sites as data: cities, cameras, lanes, lines, stop line, signal head, calibration.

`Camera.to_config()` turns a camera into the engine's plain `CameraConfig`;
`enforcement.camera_services` imports and exports the `camera.json` schema.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from enforcement.camera_config import LANE_KINDS, LINE_STYLES


class City(models.Model):
    """A deployment: Lahore, Rawalpindi, ... Its code appears in challan numbers."""

    code = models.CharField(max_length=8, unique=True, help_text="Short code, e.g. LHR")
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "cities"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Camera(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="cameras")
    location = models.CharField(max_length=200, blank=True)
    width_px = models.PositiveIntegerField()
    height_px = models.PositiveIntegerField()
    fps = models.FloatField()
    speed_limit_kmh = models.FloatField()
    speed_tolerance_kmh = models.FloatField(default=5.0)
    red_grace_s = models.FloatField(default=0.3)
    restricted_lane_min_distance_m = models.FloatField(default=15.0)
    max_reprojection_error_m = models.FloatField(default=0.5)
    speed_zone = models.JSONField(null=True, blank=True, help_text="polygon_px, entry/exit lines")
    extra = models.JSONField(
        default=dict, blank=True, help_text="e.g. signal_phase_log, camera pose, survey notes"
    )
    reprojection_error_m = models.FloatField(
        null=True, blank=True, editable=False, help_text="RMS error of the calibration, metres"
    )
    config_version = models.CharField(max_length=16, blank=True, editable=False)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Lane(models.Model):
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="lanes")
    lane_id = models.CharField(max_length=16)
    kind = models.CharField(max_length=16, choices=[(k, k.replace("_", " ")) for k in LANE_KINDS])
    polygon_px = models.JSONField(help_text="[[x, y], ...] in image pixels")
    direction_px = models.JSONField(help_text="[[x, y], [x, y]]: an arrow along legal travel")
    free_turn = models.BooleanField(default=False)

    class Meta:
        ordering = ["camera", "lane_id"]
        constraints = [
            models.UniqueConstraint(fields=["camera", "lane_id"], name="unique_lane_per_camera")
        ]

    def __str__(self) -> str:
        return f"{self.camera.code}/{self.lane_id} ({self.kind})"


class LaneLine(models.Model):
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="lane_lines")
    line_id = models.CharField(max_length=16)
    style = models.CharField(max_length=8, choices=[(s, s) for s in LINE_STYLES])
    points_px = models.JSONField()

    class Meta:
        ordering = ["camera", "line_id"]
        constraints = [
            models.UniqueConstraint(fields=["camera", "line_id"], name="unique_line_per_camera")
        ]

    def __str__(self) -> str:
        return f"{self.camera.code}/{self.line_id} ({self.style})"


class StopLine(models.Model):
    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, related_name="stop_line")
    points_px = models.JSONField()
    lane_ids = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"stop line of {self.camera.code}"


class SignalHead(models.Model):
    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, related_name="signal_head")
    roi_px = models.JSONField(help_text="[x, y, w, h] in image pixels")
    layout = models.CharField(max_length=16, default="vertical")
    amber_s = models.FloatField(default=3.0)
    all_red_s = models.FloatField(default=2.0)

    def __str__(self) -> str:
        return f"signal head of {self.camera.code}"


class CalibrationPoint(models.Model):
    """One surveyed mark: where it is in the image and on the road."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="calibration_points")
    image_x_px = models.FloatField()
    image_y_px = models.FloatField()
    road_x_m = models.FloatField()
    road_y_m = models.FloatField()

    class Meta:
        ordering = ["camera", "id"]

    def __str__(self) -> str:
        return f"({self.image_x_px}, {self.image_y_px}) px ⇄ ({self.road_x_m}, {self.road_y_m}) m"


class StaffProfile(models.Model):
    """The cities a member of staff works for; they see and act on only those."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    cities = models.ManyToManyField(City, blank=True, related_name="staff")

    def __str__(self) -> str:
        return f"{self.user} · {', '.join(c.code for c in self.cities.all())}"
