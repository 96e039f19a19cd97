"""A citizen in real headless Chromium: look-up → challan → evidence → PDF → verify by QR.

Run with `pytest tests/portal -m browser`. Set `NIGRAN_PORTAL_SCREENSHOTS=1` to write the
screenshots to `docs/portal_*.png` (otherwise they go to the test's temporary folder).
Needs Debian's `chromium`, `fonts-noto-core` (Urdu) and `poppler-utils` (PDF to image).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from challans.documents import store_new_version
from challans.models import Challan
from tests.pdf_pages import decode_qr, render_first_page
from tests.portal.factories import OWNER_CNIC, build_challan

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}


@dataclass
class Walk:
    base_url: str
    challan: Challan
    shots: Path
    downloads: Path


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-core")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def walk(live_server: Any, settings: Any, tmp_path: Path) -> Walk:
    settings.NIGRAN = {**settings.NIGRAN, "PUBLIC_BASE_URL": live_server.url}
    challan = build_challan()
    build_challan(kind="red_light", amount_pkr=2000, issued_days_ago=25, due_in_days=-15)
    with transaction.atomic():
        store_new_version(challan, reason="issued")
    shots = DOCS if os.environ.get("NIGRAN_PORTAL_SCREENSHOTS") else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    return Walk(live_server.url, challan, shots, downloads)


def qr_url_in_pdf(pdf_path: Path) -> str:
    """Render page 1 and decode its QR code, as a phone camera would."""
    text = decode_qr(render_first_page(pdf_path))
    assert text, "no QR code could be decoded from the PDF's first page"
    return text


def citizen_walk(browser: Any, walk: Walk, *, language: str, viewport: dict[str, int]) -> None:
    suffix = language if viewport is DESKTOP else f"{language}_phone"
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{walk.base_url}/")
        if language == "ur":
            page.get_by_label("Language").select_option("ur")
            page.get_by_role("button", name="Change").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("dir") == "rtl"
            plate_label, cnic_label = "گاڑی کا رجسٹریشن نمبر", "مالک کا شناختی کارڈ نمبر (CNIC)"
            find = "چالان تلاش کریں"
        else:
            assert page.locator("html").get_attribute("dir") == "ltr"
            plate_label, cnic_label, find = "Vehicle registration number", "Owner's CNIC", None
        by_vehicle = page.locator("section", has=page.locator("#by-vehicle"))
        by_vehicle.get_by_label(plate_label).fill("lea 6879")
        by_vehicle.get_by_label(cnic_label).fill("35202-1234567-1")
        page.screenshot(path=walk.shots / f"portal_lookup_{suffix}.png", full_page=True)
        if find:
            by_vehicle.get_by_role("button", name=find).click()
        else:
            by_vehicle.get_by_role("button", name="Find challans").click()

        page.wait_for_url(f"{walk.base_url}/challans/")
        assert OWNER_CNIC not in page.url
        rows = page.locator("table.challans tbody tr")
        assert rows.count() == 2
        page.screenshot(path=walk.shots / f"portal_results_{suffix}.png", full_page=True)

        page.get_by_role("link", name=walk.challan.number).click()
        page.wait_for_url(f"{walk.base_url}/challan/{walk.challan.public_token}/")
        images = page.locator(".evidence img")
        assert images.count() == 3
        for index in range(images.count()):
            images.nth(index).scroll_into_view_if_needed()
            images.nth(index).evaluate("img => img.decode()")
            assert images.nth(index).evaluate("img => img.naturalWidth") > 100
        page.screenshot(path=walk.shots / f"portal_challan_{suffix}.png", full_page=True)

        evidence = context.request.get(walk.base_url + images.first.get_attribute("src"))
        assert evidence.status == 200 and evidence.headers["content-type"] == "image/jpeg"
        stranger = browser.new_context()
        try:
            refused = stranger.request.get(walk.base_url + images.first.get_attribute("src"))
            assert refused.status == 404
        finally:
            stranger.close()

        with page.expect_download() as download_info:
            page.locator(f"a[href='/challan/{walk.challan.public_token}/pdf/']").click()
        pdf_path = walk.downloads / f"{suffix}.pdf"
        download_info.value.save_as(pdf_path)
        assert pdf_path.read_bytes().startswith(b"%PDF")

        verify_url = qr_url_in_pdf(pdf_path)
        assert verify_url == f"{walk.base_url}/verify/{walk.challan.public_token}/"
        page.goto(verify_url)
        assert page.locator(".verified").count() == 1
        assert "LEA-6879" not in page.content() and OWNER_CNIC not in page.content()
        page.screenshot(path=walk.shots / f"portal_verify_{suffix}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_a_citizen_walks_through_in_english(walk: Walk, browser: Any) -> None:
    citizen_walk(browser, walk, language="en", viewport=DESKTOP)


@pytest.mark.django_db(transaction=True)
def test_a_citizen_walks_through_in_urdu_on_a_phone(walk: Walk, browser: Any) -> None:
    citizen_walk(browser, walk, language="ur", viewport=PHONE)


@pytest.mark.django_db(transaction=True)
def test_the_pages_have_no_horizontal_scroll_on_a_phone(walk: Walk, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{walk.base_url}/")
        by_vehicle = page.locator("section", has=page.locator("#by-vehicle"))
        by_vehicle.get_by_label("Vehicle registration number").fill("LEA-6879")
        by_vehicle.get_by_label("Owner's CNIC").fill(OWNER_CNIC)
        by_vehicle.get_by_role("button", name="Find challans").click()
        page.wait_for_url(f"{walk.base_url}/challans/")
        for path in ("/challans/", f"/challan/{walk.challan.public_token}/"):
            page.goto(walk.base_url + path)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent")
        assert "Skip to content" in focused
        page.screenshot(path=walk.shots / "portal_challan_en_phone.png", full_page=True)
        page.get_by_role("link", name="Contest this challan").click()
        page.get_by_role("button", name="Submit contest").click()  # empty: errors shown
        assert page.locator(".field-error").count() == 1
        assert (
            page.get_by_label("Why do you contest this challan?").get_attribute("aria-invalid")
            == "true"
        )
        page.screenshot(path=walk.shots / "portal_contest_en_phone.png", full_page=True)
    finally:
        context.close()


@pytest.fixture
def supervisor(walk: Walk) -> str:
    """A supervisor account, made before the browser starts (the ORM is sync-only)."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("supervisor", password="s3cret-Pass!", is_staff=True)
    for codename in (
        "view_contestrequest",
        "change_contestrequest",
        "view_challan",
        "cancel_challan",
    ):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user.username


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_decides_a_contest_and_the_citizen_sees_it(
    walk: Walk, supervisor: str, browser: Any
) -> None:
    citizen = browser.new_context(viewport=DESKTOP)
    staff = browser.new_context(viewport=DESKTOP)
    try:
        page = citizen.new_page()
        page.goto(f"{walk.base_url}/")
        by_vehicle = page.locator("section", has=page.locator("#by-vehicle"))
        by_vehicle.get_by_label("Vehicle registration number").fill("LEA-6879")
        by_vehicle.get_by_label("Owner's CNIC").fill(OWNER_CNIC)
        by_vehicle.get_by_role("button", name="Find challans").click()
        page.goto(f"{walk.base_url}/challan/{walk.challan.public_token}/contest/")
        page.get_by_label("Why do you contest this challan?").fill(
            "My car was in the workshop at Township that evening; receipt attached."
        )
        page.get_by_label("Photo (optional)").set_input_files(
            str(Path(__file__).parent / "data" / "roadside_frame_2.jpg")
        )
        page.get_by_role("button", name="Submit contest").click()
        assert "Your contest was received." in page.content()

        admin = staff.new_page()
        admin.goto(f"{walk.base_url}/admin/login/")
        admin.get_by_label("Username").fill(supervisor)
        admin.get_by_label("Password").fill("s3cret-Pass!")
        admin.get_by_role("button", name="Log in").click()
        admin.goto(f"{walk.base_url}/admin/challans/contestrequest/")
        admin.locator("#result_list th.field-id a").first.click()
        admin.locator("#id_decision").select_option("cancel")
        admin.locator("#id_decision_note").fill("Workshop receipt checked; challan cancelled.")
        admin.screenshot(path=walk.shots / "portal_admin_contest.png", full_page=True)
        admin.get_by_role("button", name="Save", exact=True).click()
        assert "Decision recorded: cancel." in admin.content()

        page.goto(f"{walk.base_url}/challan/{walk.challan.public_token}/")
        text = page.locator("main").inner_text()
        assert "the challan was cancelled." in text
        assert "Workshop receipt checked; challan cancelled." in text
        page.screenshot(path=walk.shots / "portal_contest_decided_en.png", full_page=True)
    finally:
        citizen.close()
        staff.close()
