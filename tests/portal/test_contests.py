"""Contesting a challan (window, photo checks) and the supervisor's decision in admin."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

import challans.admin_contests  # noqa: F401  (registers ContestRequestAdmin like admin.py does)
from challans.contests import ContestError, decide_contest
from challans.models import Challan, ChallanEvent, ContestRequest
from tests.portal.factories import DATA, OWNER_CNIC, look_up

REASON = "My car was parked at home in Model Town at that time; the plate was cloned."


@pytest.fixture
def owner(client: Client, challan: Challan) -> Client:
    look_up(client, "LEA-6879", OWNER_CNIC)
    return client


def contest(client: Client, challan: Challan, **files: SimpleUploadedFile):
    return client.post(f"/challan/{challan.public_token}/contest/", {"reason": REASON, **files})


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_contest_with_a_real_photo_sets_the_challan_to_contested(
    owner: Client, challan: Challan
) -> None:
    photo = SimpleUploadedFile("evidence.jpg", (DATA / "roadside_frame.jpg").read_bytes())
    response = contest(owner, challan, photo=photo)
    assert response.status_code == 302
    challan.refresh_from_db()
    assert challan.status == Challan.Status.CONTESTED
    request = ContestRequest.objects.get(challan=challan)
    assert request.reason == REASON and request.status == ContestRequest.Status.PENDING
    assert request.photo.name.endswith(f"{request.photo_sha256}.jpg")
    assert ChallanEvent.objects.filter(challan=challan, action="contested").exists()
    page = owner.get(f"/challan/{challan.public_token}/").content.decode()
    assert "Your contest was received." in page and "under review by a supervisor." in page


def test_a_png_photo_is_accepted(owner: Client, challan: Challan) -> None:
    response = contest(owner, challan, photo=SimpleUploadedFile("x.png", png_bytes()))
    assert response.status_code == 302
    assert ContestRequest.objects.get().photo.name.endswith(".png")


def test_a_contest_without_a_photo_is_accepted(owner: Client, challan: Challan) -> None:
    assert contest(owner, challan).status_code == 302


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.jpg", b"this is text pretending to be a JPEG"),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("anim.gif", b""),  # a real GIF, filled below: decodable but not an allowed type
        ("cut.jpg", b""),  # a real JPEG cut in half, filled below
    ],
)
def test_a_photo_that_is_not_a_jpeg_or_png_is_refused(
    owner: Client, challan: Challan, name: str, content: bytes
) -> None:
    if name == "anim.gif":
        buffer = io.BytesIO()
        Image.new("RGB", (32, 32)).save(buffer, format="GIF")
        content = buffer.getvalue()
    if name == "cut.jpg":
        data = (DATA / "roadside_frame.jpg").read_bytes()
        content = data[: len(data) // 2]
    response = contest(owner, challan, photo=SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert "The photo must be a JPEG or PNG image." in response.content.decode()
    challan.refresh_from_db()
    assert challan.status == Challan.Status.ISSUED
    assert not ContestRequest.objects.exists()


def test_a_photo_over_5_mb_is_refused(owner: Client, challan: Challan) -> None:
    big = png_bytes() + b"\0" * (5 * 1024 * 1024)
    response = contest(owner, challan, photo=SimpleUploadedFile("big.png", big))
    assert response.status_code == 400
    assert "The photo is larger than 5 MB." in response.content.decode()
    assert not ContestRequest.objects.exists()


def test_a_contest_after_the_window_is_refused(client: Client, make_challan, settings) -> None:
    old = make_challan(issued_days_ago=settings.NIGRAN["CONTEST_WINDOW_DAYS"] + 1)
    look_up(client, "LEA-6879", OWNER_CNIC)
    page = client.get(f"/challan/{old.public_token}/").content.decode()
    assert "The window for contesting this challan has closed." in page
    response = contest(client, old)
    assert response.status_code == 400
    old.refresh_from_db()
    assert old.status == Challan.Status.ISSUED
    assert not ContestRequest.objects.exists()


def test_the_window_is_configurable(client: Client, make_challan, settings) -> None:
    settings.NIGRAN = {**settings.NIGRAN, "CONTEST_WINDOW_DAYS": 30}
    older = make_challan(issued_days_ago=20)
    look_up(client, "LEA-6879", OWNER_CNIC)
    assert contest(client, older).status_code == 302


def test_a_challan_is_contested_only_once(owner: Client, challan: Challan) -> None:
    assert contest(owner, challan).status_code == 302
    again = contest(owner, challan)
    assert again.status_code == 400
    assert "already being reviewed" in again.content.decode()
    assert ContestRequest.objects.count() == 1


def test_a_paid_challan_cannot_be_contested(owner: Client, challan: Challan) -> None:
    Challan.objects.filter(pk=challan.pk).update(status=Challan.Status.PAID)
    assert contest(owner, challan).status_code == 400


def supervisor() -> Client:
    user = User.objects.create_user("supervisor", password="x", is_staff=True)
    for codename in ("view_contestrequest", "change_contestrequest", "cancel_challan"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def decide(admin: Client, contest_id: int, decision: str, note: str):
    return admin.post(
        f"/admin/challans/contestrequest/{contest_id}/change/",
        {"decision": decision, "decision_note": note},
    )


def test_a_supervisor_upholds_and_the_citizen_sees_the_decision(
    owner: Client, challan: Challan
) -> None:
    contest(owner, challan)
    request = ContestRequest.objects.get()
    admin = supervisor()
    page = admin.get(f"/admin/challans/contestrequest/{request.pk}/change/").content.decode()
    assert REASON in page
    assert (
        decide(admin, request.pk, "uphold", "The plate crop matches your car.").status_code == 302
    )
    request.refresh_from_db()
    challan.refresh_from_db()
    assert request.status == ContestRequest.Status.UPHELD
    assert request.decided_by is not None and request.decided_by.username == "supervisor"
    assert request.decided_at is not None
    assert challan.status == Challan.Status.ISSUED
    assert ChallanEvent.objects.filter(challan=challan, action="contest_upheld").exists()
    citizen = owner.get(f"/challan/{challan.public_token}/").content.decode()
    assert "the challan was upheld" in citizen and "The plate crop matches your car." in citizen


def test_a_supervisor_cancels_the_challan(owner: Client, challan: Challan) -> None:
    contest(owner, challan)
    request = ContestRequest.objects.get()
    decide(supervisor(), request.pk, "cancel", "Cloned plate confirmed by Excise.")
    challan.refresh_from_db()
    assert challan.status == Challan.Status.CANCELLED
    citizen = owner.get(f"/challan/{challan.public_token}/").content.decode()
    assert "the challan was cancelled." in citizen and "Cloned plate confirmed" in citizen


def test_a_decision_needs_a_note_and_is_final(owner: Client, challan: Challan) -> None:
    contest(owner, challan)
    request = ContestRequest.objects.get()
    admin = supervisor()
    assert decide(admin, request.pk, "cancel", "  ").status_code == 200  # form error
    request.refresh_from_db()
    assert request.status == ContestRequest.Status.PENDING
    decide(admin, request.pk, "uphold", "Measurement verified.")
    decide(admin, request.pk, "cancel", "Changed my mind.")
    request.refresh_from_db()
    challan.refresh_from_db()
    assert request.status == ContestRequest.Status.UPHELD
    assert challan.status == Challan.Status.ISSUED


def test_the_contest_photo_is_shown_only_in_admin(owner: Client, challan: Challan) -> None:
    contest(owner, challan, photo=SimpleUploadedFile("x.png", png_bytes()))
    request = ContestRequest.objects.get()
    url = f"/admin/challans/contestrequest/{request.pk}/photo/"
    assert supervisor().get(url).status_code == 200
    assert Client().get(url).status_code == 302  # to the admin login


def test_the_owner_is_notified_of_the_decision_after_commit(
    owner: Client, challan: Challan, django_capture_on_commit_callbacks
) -> None:
    contest(owner, challan)
    request = ContestRequest.objects.get()
    user = User.objects.create_user("decider", is_staff=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide_contest(request.pk, cancel=False, supervisor=user, note="Speed reading verified.")
    assert len(callbacks) == 1
    with pytest.raises(ContestError, match="already decided"):
        decide_contest(request.pk, cancel=True, supervisor=user, note="Again.")
