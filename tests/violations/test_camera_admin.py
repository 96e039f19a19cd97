"""Camera onboarding in admin: inlines, recorded calibration error, drawn configuration."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from enforcement.admin import calibration_error_m
from enforcement.models import CalibrationPoint, Camera, City, Lane
from tests.violations.conftest import FRAME_FILES

pytestmark = pytest.mark.django_db


def road_camera(city: City, code: str = "LHR-010") -> Camera:
    """A carriageway 8 m wide and 40 m long seen from a pole, surveyed at 6 marks."""
    camera = Camera.objects.create(
        code=code,
        name="Canal Road",
        city=city,
        location="Canal Road at Mall Road",
        width_px=1280,
        height_px=720,
        fps=25.0,
        speed_limit_kmh=60.0,
    )
    image_px = [(400, 700), (900, 700), (760, 250), (540, 250), (470, 475), (830, 475)]
    road_m = [(0, 0), (8, 0), (8, 40), (0, 40), (0, 12), (8, 12)]
    for (x_px, y_px), (x_m, y_m) in zip(image_px, road_m, strict=True):
        CalibrationPoint.objects.create(
            camera=camera, image_x_px=x_px, image_y_px=y_px, road_x_m=x_m, road_y_m=y_m
        )
    Lane.objects.create(
        camera=camera,
        lane_id="L1",
        kind="general",
        polygon_px=[[400, 700], [900, 700], [760, 250], [540, 250]],
        direction_px=[[650, 650], [650, 300]],
    )
    error_m, version = calibration_error_m(camera)
    Camera.objects.filter(pk=camera.pk).update(reprojection_error_m=error_m, config_version=version)
    camera.refresh_from_db()
    return camera


@pytest.fixture
def configured_camera(lahore) -> Camera:
    return road_camera(lahore)


def test_an_operator_sees_the_drawn_configuration_of_a_camera(client, operator, configured_camera):
    client.force_login(operator)

    page = client.get(reverse("admin:enforcement_camera_draw", args=[configured_camera.pk]))
    png = client.get(reverse("admin:enforcement_camera_draw_png", args=[configured_camera.pk]))

    assert page.status_code == 200 and "Calibration error" in page.content.decode()
    image = Image.open(io.BytesIO(png.content))
    assert png["Content-Type"] == "image/png" and image.size == (1280, 720)
    change = client.get(reverse("admin:enforcement_camera_change", args=[configured_camera.pk]))
    assert "Draw configuration" in change.content.decode()


def test_the_configuration_is_drawn_over_an_uploaded_real_frame(
    client, operator, configured_camera
):
    client.force_login(operator)
    upload = SimpleUploadedFile("still.jpg", FRAME_FILES[0].read_bytes(), "image/jpeg")

    response = client.post(
        reverse("admin:enforcement_camera_draw", args=[configured_camera.pk]), {"frame": upload}
    )

    assert response["Content-Type"] == "image/png"
    drawn = Image.open(io.BytesIO(response.content)).convert("RGB")
    original = Image.open(FRAME_FILES[0]).convert("RGB")
    assert drawn.size == original.size
    assert drawn.getpixel((5, 5)) == pytest.approx(original.getpixel((5, 5)), abs=12)
    assert drawn.tobytes() != original.tobytes()


def test_the_calibration_error_and_version_are_read_only(client, operator, configured_camera):
    client.force_login(operator)

    html = client.get(
        reverse("admin:enforcement_camera_change", args=[configured_camera.pk])
    ).content.decode()

    assert configured_camera.reprojection_error_m is not None
    assert 'name="reprojection_error_m"' not in html and 'name="config_version"' not in html
    assert configured_camera.config_version in html


def test_an_operator_sees_only_their_citys_cameras(client, operator, configured_camera, rawalpindi):
    elsewhere = road_camera(rawalpindi, "RWP-010")
    client.force_login(operator)

    html = client.get(reverse("admin:enforcement_camera_changelist")).content.decode()

    assert "LHR-010" in html and "RWP-010" not in html
    assert (
        client.get(reverse("admin:enforcement_camera_draw", args=[elsewhere.pk])).status_code == 404
    )


def test_a_warden_cannot_change_cameras(client, warden, configured_camera):
    client.force_login(warden)

    response = client.post(
        reverse("admin:enforcement_camera_change", args=[configured_camera.pk]),
        {"speed_limit_kmh": "120"},
    )

    assert response.status_code == 403
    configured_camera.refresh_from_db()
    assert configured_camera.speed_limit_kmh == 60.0


def test_the_drawn_configuration_warns_when_plates_are_too_small_to_read(
    client, operator, configured_camera
):
    # A 1280x720 view of an 8 m carriageway 500 px wide where it is nearest: a 325 mm
    # plate is ~20 px wide there, far below what ANPR reads.
    client.force_login(operator)

    html = client.get(
        reverse("admin:enforcement_camera_draw", args=[configured_camera.pk])
    ).content.decode()

    assert "ANPR: lane L1: car plates appear at most ~" in html


def _change_form_data(response) -> dict[str, object]:
    """The POST data of an admin change form as the page rendered it (inlines included)."""
    data: dict[str, object] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()  # prepared as the widget renders it (JSON as text)
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def test_saving_a_camera_warns_of_lanes_whose_plates_are_too_small(
    client, operator, configured_camera
):
    client.force_login(operator)
    url = reverse("admin:enforcement_camera_change", args=[configured_camera.pk])

    response = client.post(url, _change_form_data(client.get(url)), follow=True)

    shown = [str(message) for message in response.context["messages"]]
    assert any("lane L1: car plates appear at most ~" in text for text in shown), shown
