"""`manage.py demo`: the main job end to end on the shipped sample clips.

migrate → load cities, fines and the registry → import the sample cameras → process
each clip (detectors + ANPR) → approve in demo mode as a demo warden → challans with
PDFs (Celery eager by default) → a summary of what happened and where to look.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from enforcement.camera_config import CameraConfig
from enforcement.camera_services import import_camera_config
from enforcement.clip_services import process_clip

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "samples"


class Command(BaseCommand):
    help = "Run the whole chain on the shipped sample clips and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=Path, default=SAMPLES)
        parser.add_argument("--no-ocr", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from challans.models import Challan
        from violations.models import Violation

        say = self.stdout.write
        say(self.style.MIGRATE_HEADING("1. Database and reference data"))
        call_command("migrate", interactive=False, verbosity=0)
        for fixture in ("cities", "fine_schedule", "registry"):
            call_command("loaddata", fixture, verbosity=0)
        call_command("setup_roles", verbosity=0)
        say("   migrated; cities, fine schedule and vehicle registry loaded; roles set up")

        say(self.style.MIGRATE_HEADING("2. Cameras"))
        clips = sorted(p for p in options["samples"].glob("*/clip.mp4"))
        cameras = []
        for clip in clips:
            camera = import_camera_config(CameraConfig.load(clip.parent / "camera.json"))
            cameras.append((camera, clip))
            say(
                f"   {camera.code}: {camera.name} (calibration error {camera.reprojection_error_m:.3f} m)"
            )

        say(self.style.MIGRATE_HEADING("3. Processing the sample clips"))
        for camera, clip in cameras:
            start = _recorded_start_time(clip)
            summary = process_clip(
                camera, clip, start_time=start, read_plates=not options["no_ocr"]
            )
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary.by_kind.items())) or "none"
            say(
                f"   {camera.code}: {summary.frames} frames, {summary.tracks} tracks, "
                f"{summary.new_violations} new violations ({kinds})"
            )

        say(
            self.style.MIGRATE_HEADING(
                "4. Review (demo mode: a demo warden approves readable plates)"
            )
        )
        approved, left = _demo_review()
        say(f"   approved {approved}; left for a human warden {left} (unreadable plates)")

        say(self.style.MIGRATE_HEADING("5. Summary"))
        by_kind = Counter(Violation.objects.values_list("kind", flat=True))
        by_status = Counter(Violation.objects.values_list("status", flat=True))
        for kind, count in sorted(by_kind.items()):
            say(f"   {kind:<12} {count}")
        say(f"   by status: {dict(sorted(by_status.items()))}")
        challans = Challan.objects.count()
        say(f"   challans issued: {challans}")
        say(f"   PDFs under:      {Path(settings.MEDIA_ROOT) / 'challans'}")
        say(f"   e-mails under:   {settings.EMAIL_FILE_PATH}")
        say(
            "   admin: .venv/bin/python manage.py createsuperuser && "
            ".venv/bin/python manage.py runserver  →  http://127.0.0.1:8000/admin/"
        )
        say("   portal: http://127.0.0.1:8000/  (look up with a plate and its owner's CNIC)")


def _recorded_start_time(clip: Path) -> datetime:
    """The sample's recorder time (the generator writes it next to the clip)."""
    truth = clip.parent / "truth.json"
    return datetime.fromisoformat(json.loads(truth.read_text())["start_time"])


def _demo_review() -> tuple[int, int]:
    from violations import services
    from violations.models import Violation

    user_model = get_user_model()
    warden, _ = user_model.objects.get_or_create(
        username="demo-warden", defaults={"is_staff": True, "first_name": "Demo warden"}
    )
    supervisor, _ = user_model.objects.get_or_create(
        username="demo-supervisor", defaults={"is_staff": True, "first_name": "Demo supervisor"}
    )
    _grant_roles(warden, ["warden"])
    _grant_roles(supervisor, ["warden", "supervisor"])
    approved = left = 0
    for violation in Violation.objects.filter(status=Violation.Status.PENDING).order_by("pk"):
        if violation.plate_unreadable or not violation.plate:
            left += 1
            continue
        services.approve_violation(violation.pk, reviewer=warden, note="demo mode")
        violation.refresh_from_db(fields=["status"])
        if violation.status == Violation.Status.AWAITING_SECOND:
            services.second_review(
                violation.pk, reviewer=supervisor, approve=True, note="demo mode"
            )
        approved += 1
    return approved, left


def _grant_roles(user: Any, groups: list[str]) -> None:
    from django.contrib.auth.models import Group

    from enforcement.models import City, StaffProfile

    user.groups.add(*Group.objects.filter(name__in=groups))
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    profile.cities.set(City.objects.all())
