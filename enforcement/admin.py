"""Camera onboarding in admin: cities, cameras with their geometry, and staff cities.

Saving a camera re-validates its configuration with the engine and records the
calibration's reprojection error and the configuration version, and warns of lanes whose
plates appear too small to read; "Draw configuration"
shows the lanes, lines, stop line, signal head and metric grid over a frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from enforcement.camera_config import CameraConfigError
from enforcement.camera_services import camera_to_config, validated_plate_size_warnings
from enforcement.models import (
    CalibrationPoint,
    Camera,
    City,
    Lane,
    LaneLine,
    SignalHead,
    StaffProfile,
    StopLine,
)

if TYPE_CHECKING:
    from enforcement.geometry import ValidatedCamera

MAX_FRAME_BYTES = 12 * 1024 * 1024


def _user_city_ids(user: Any) -> set[int] | None:
    """None for superusers (every city); otherwise the cities in the user's profile."""
    if user.is_superuser:
        return None
    return set(City.objects.filter(staff__user_id=user.pk).values_list("id", flat=True))


def validated_camera(camera: Camera) -> tuple[ValidatedCamera, str]:
    """The camera's saved configuration validated by the engine, and its version.

    Raises `CameraConfigError` with the engine's message when the geometry is invalid.
    """
    from enforcement.geometry import validate_config

    config = camera_to_config(camera)
    return validate_config(config), config.version


def calibration_error_m(camera: Camera) -> tuple[float, str]:
    """Validate the camera's saved configuration with the engine: (RMS error m, version)."""
    validated, version = validated_camera(camera)
    return float(validated.calibration.reprojection_error_m), version


def render_config_png(camera: Camera, frame: np.ndarray | None = None) -> bytes:
    """The camera's configuration drawn over ``frame`` (BGR) or a neutral canvas, as PNG.

    Raises `CameraConfigError` with the engine's message when the geometry is invalid.
    """
    from enforcement.overlay import draw_config

    validated, _ = validated_camera(camera)
    if frame is None:
        frame = np.full((camera.height_px, camera.width_px, 3), 70, dtype=np.uint8)
    elif frame.shape[1] != camera.width_px or frame.shape[0] != camera.height_px:
        frame = cv2.resize(frame, (camera.width_px, camera.height_px))
    ok, png = cv2.imencode(".png", draw_config(frame, validated))
    if not ok:
        raise CameraConfigError(f"camera {camera.code}: the overlay could not be encoded as PNG")
    return png.tobytes()


class FrameUploadForm(forms.Form):
    frame = forms.ImageField(help_text="A still from this camera (JPEG or PNG)")


class LaneInline(admin.TabularInline):
    model = Lane
    extra = 0


class LaneLineInline(admin.TabularInline):
    model = LaneLine
    extra = 0


class StopLineInline(admin.StackedInline):
    model = StopLine
    extra = 0
    max_num = 1


class SignalHeadInline(admin.StackedInline):
    model = SignalHead
    extra = 0
    max_num = 1


class CalibrationPointInline(admin.TabularInline):
    model = CalibrationPoint
    extra = 0
    min_num = 0


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "city",
        "speed_limit_kmh",
        "reprojection_error_m",
        "config_version",
        "active",
    )
    list_filter = ("city", "active")
    list_select_related = ("city",)
    search_fields = ("code", "name", "location")
    readonly_fields = ("reprojection_error_m", "config_version", "updated_at")
    inlines = (
        LaneInline,
        LaneLineInline,
        StopLineInline,
        SignalHeadInline,
        CalibrationPointInline,
    )
    actions = ("draw_configuration",)
    change_form_template = "admin/enforcement/camera/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Camera]:
        queryset = super().get_queryset(request)
        city_ids = _user_city_ids(request.user)
        return queryset if city_ids is None else queryset.filter(city_id__in=city_ids)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "city":
            city_ids = _user_city_ids(request.user)
            if city_ids is not None:
                kwargs["queryset"] = City.objects.filter(id__in=city_ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Validate the saved geometry with the engine and record its error and version."""
        super().save_related(request, form, formsets, change)
        camera = form.instance
        try:
            validated, version = validated_camera(camera)
        except CameraConfigError as exc:
            Camera.objects.filter(pk=camera.pk).update(reprojection_error_m=None)
            self.message_user(
                request,
                f"{camera.code}: saved, but its configuration is not usable yet: {exc}",
                messages.WARNING,
            )
            return
        error_m = float(validated.calibration.reprojection_error_m)
        Camera.objects.filter(pk=camera.pk).update(
            reprojection_error_m=error_m, config_version=version
        )
        if error_m > camera.max_reprojection_error_m:
            self.message_user(
                request,
                f"{camera.code}: calibration error {error_m:.3f} m is above the camera's "
                f"maximum {camera.max_reprojection_error_m:.2f} m; re-survey the points",
                messages.WARNING,
            )
        for warning in validated_plate_size_warnings(validated):
            self.message_user(request, f"{camera.code}: {warning}", messages.WARNING)

    @admin.action(description="Draw configuration over a frame")
    def draw_configuration(
        self, request: HttpRequest, queryset: QuerySet[Camera]
    ) -> HttpResponseRedirect:
        camera = queryset.order_by("code").first()
        if queryset.count() > 1:
            self.message_user(request, "Showing the first selected camera only.", messages.INFO)
        assert camera is not None  # admin actions always get a selection
        return HttpResponseRedirect(reverse("admin:enforcement_camera_draw", args=[camera.pk]))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:camera_id>/draw/", wrap(self.draw_view), name="enforcement_camera_draw"),
            path(
                "<int:camera_id>/draw.png", wrap(self.draw_png), name="enforcement_camera_draw_png"
            ),
            *super().get_urls(),
        ]

    def _camera(self, request: HttpRequest, camera_id: int) -> Camera:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=camera_id)

    def draw_png(self, request: HttpRequest, camera_id: int) -> HttpResponse:
        camera = self._camera(request, camera_id)
        try:
            png = render_config_png(camera)
        except CameraConfigError as exc:
            return HttpResponse(str(exc), status=422, content_type="text/plain")
        return HttpResponse(png, content_type="image/png")

    def draw_view(self, request: HttpRequest, camera_id: int) -> HttpResponse:
        """A page with the drawing; posting a still from the camera draws over it."""
        camera = self._camera(request, camera_id)
        form = FrameUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["frame"]
            if upload.size > MAX_FRAME_BYTES:
                form.add_error("frame", "the frame is larger than 12 MB")
            else:
                data = np.frombuffer(upload.read(), dtype=np.uint8)
                frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
                if frame is None:
                    form.add_error("frame", "this file could not be decoded as an image")
                else:
                    try:
                        return HttpResponse(
                            render_config_png(camera, frame), content_type="image/png"
                        )
                    except CameraConfigError as exc:
                        form.add_error(None, str(exc))
        error, warnings = None, []
        try:
            warnings = validated_plate_size_warnings(validated_camera(camera)[0])
        except CameraConfigError as exc:
            error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": camera,
            "title": f"Configuration of {camera.code}",
            "form": form,
            "error": error,
            "plate_warnings": warnings,
            "png_url": reverse("admin:enforcement_camera_draw_png", args=[camera.pk]),
        }
        return TemplateResponse(request, "admin/enforcement/camera/draw.html", context)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "city_codes")
    search_fields = ("user__username", "user__email")
    filter_horizontal = ("cities",)
    raw_id_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffProfile]:
        return super().get_queryset(request).select_related("user").prefetch_related("cities")

    @admin.display(description="cities")
    def city_codes(self, obj: StaffProfile) -> str:
        return ", ".join(city.code for city in obj.cities.all()) or "—"
