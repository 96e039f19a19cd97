"""Screenshots of the review queue, a review page and the statistics page.

    DATABASE_URL=postgres://.../nigran_shots python manage.py admin_screenshots --seed

Serves the admin from a live-server thread on the configured database, logs headless
Chromium in as a warden of Lahore and writes ``docs/admin_queue.png``,
``docs/admin_review.png`` and ``docs/admin_stats.png``. ``--seed`` first records a
dozen violations from the real frames in ``tests/data/frames`` through the services
(use a scratch database: it adds a camera, a warden and decisions).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.test.testcases import LiveServerThread
from django.urls import reverse
from django.utils import timezone

from enforcement.events import EvidenceFile, PlateReading, ViolationEvent
from enforcement.models import Camera, City, StaffProfile
from violations import services
from violations.models import Violation
from violations.roles import SUPERVISOR, WARDEN

FRAMES = Path(settings.BASE_DIR) / "tests" / "data" / "frames"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Command(BaseCommand):
    help = "Take screenshots of the review workbench with headless Chromium."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=Path(settings.BASE_DIR) / "docs")
        parser.add_argument("--seed", action="store_true", help="record demo violations first")
        parser.add_argument("--width", type=int, default=1600)

    def handle(self, *args: Any, **options: Any) -> None:
        if not Path(CHROMIUM).exists():
            raise CommandError(f"{CHROMIUM} is missing: apt-get install -y chromium")
        lahore, _ = City.objects.get_or_create(code="LHR", defaults={"name": "Lahore"})
        warden = _staff("warden_ayesha", WARDEN, lahore)
        if options["seed"]:
            _seed(lahore, warden, _staff("supervisor_bilal", SUPERVISOR, lahore))
        review = (
            Violation.objects.filter(camera__city=lahore, status=Violation.Status.PENDING)
            .exclude(speed_kmh=None)
            .order_by("occurred_at")
            .first()
        )
        if review is None:
            raise CommandError("no pending speeding violation in Lahore: run with --seed")
        client = Client()
        client.force_login(warden)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        pages = {
            "admin_queue.png": (reverse("admin:violations_violation_changelist"), False),
            "admin_review.png": (
                reverse("admin:violations_violation_change", args=[review.pk]),
                True,
            ),
            "admin_stats.png": (reverse("admin:violations_violationstatistics_changelist"), True),
        }
        options["out"].mkdir(parents=True, exist_ok=True)
        server = LiveServerThread("127.0.0.1", StaticFilesHandler)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        try:
            self._shoot(f"http://127.0.0.1:{server.port}", cookie, pages, options)
        finally:
            server.terminate()

    def _shoot(
        self, base_url: str, cookie: str, pages: dict[str, tuple[str, bool]], options: Any
    ) -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": options["width"], "height": 900})
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}]
            )
            # Fold the admin's navigation sidebar: the queue needs the width.
            context.add_init_script(
                "localStorage.setItem('django.admin.navSidebarIsOpen', 'false');"
            )
            page = context.new_page()
            for name, (url, full_page) in pages.items():
                page.goto(base_url + url, wait_until="networkidle")
                path = options["out"] / name
                page.screenshot(path=str(path), full_page=full_page)
                self.stdout.write(f"wrote {path}")
            browser.close()


def _staff(username: str, role: str, city: City) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    if created:
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=user).cities.add(city)
    return user


def _seed(city: City, warden: User, supervisor: User) -> None:
    camera, _ = Camera.objects.get_or_create(
        code="LHR-017",
        defaults={
            "name": "Ring Road, Thokar Niaz Baig",
            "city": city,
            "location": "Ring Road northbound, 300 m before Thokar Niaz Baig",
            "width_px": 1280,
            "height_px": 720,
            "fps": 25.0,
            "speed_limit_kmh": 80.0,
            "reprojection_error_m": 0.14,
            "config_version": "5f2c9a0e1b7d3c44",
        },
    )
    frames = sorted(FRAMES.glob("site01_*.jpg"))
    crops = {"LEA-6879": FRAMES / "plate_Punjab-Plates_p_3.jpg"}
    crops["LEC-2089"] = FRAMES / "plate_Punjab-Plates_p_12.jpg"
    plates = list(crops)
    kinds = ["speeding", "speeding", "red_light", "speeding", "bus_lane", "solid_line"]
    confidences = [0.94, 0.62, 0.88, 0.41, 0.97, 0.83]
    # Spread over the last days so the statistics page has something to show (the frames'
    # own data bars keep their original capture times).
    today = timezone.localtime().replace(hour=8, minute=5, second=0, microsecond=0)
    for i in range(12):
        plate_text = plates[i % 2]
        kind = kinds[i % len(kinds)]
        occurred_at = today - timedelta(days=5 - i // 3, minutes=-37 * i)
        measured: dict[str, Any] = {"lane_id": "L2"}
        if kind == "speeding":
            measured = {"speed_kmh": 96.4 + 3.7 * i, "limit_kmh": 80.0, "uncertainty_kmh": 1.6}
        elif kind == "red_light":
            measured = {"time_into_red_s": 2.4 + 0.3 * i, "line_id": "stop"}
        confidence = confidences[i % len(confidences)]
        event = ViolationEvent(
            kind=kind,
            camera_code=camera.code,
            track_id=40 + i,
            occurred_at=occurred_at,
            frame_index=300 + 25 * i,
            measured=measured,
            vehicle_class="car",
            evidence=tuple(
                EvidenceFile(
                    kind="frame",
                    role=role,
                    path=frames[(i + j) % len(frames)],
                    frame_index=300 + 25 * i + 12 * j,
                    captured_at=occurred_at + timedelta(seconds=0.48 * j),
                )
                for j, role in enumerate(("zone_entry", "zone_exit"))
            ),
            plate=PlateReading(
                text=plate_text,
                confidence=confidence,
                unreadable=False,
                format="punjab_district",
                province="punjab",
                candidates=((plate_text, confidence), (plate_text[:-1] + "8", confidence / 3)),
                crop_path=crops[plate_text],
            ),
            calibration_version=camera.config_version,
            calibration_error_m=camera.reprojection_error_m,
        )
        violation, created = services.record_violation_event(event)
        if not created or i < 6:
            continue
        # Some history for the statistics page.
        if i % 3 == 0:
            services.reject_violation(violation.pk, reviewer=warden, reason_code="obstructed")
        elif i % 3 == 1:
            services.approve_violation(violation.pk, reviewer=warden)
        else:
            services.escalate_violation(violation.pk, reviewer=warden, note="check the plate")
            services.second_review(violation.pk, reviewer=supervisor, approve=True)
