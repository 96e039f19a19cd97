"""`manage.py import_camera camera.json [...]`: onboard cameras from the camera.json schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enforcement.camera_config import CameraConfig, CameraConfigError
from enforcement.camera_services import import_camera_config, plate_size_warnings
from enforcement.models import City


class Command(BaseCommand):
    help = "Import (or replace) cameras from camera.json files, validating their geometry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--city", help="City code to attach the cameras to (default: from file)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        city = None
        if options["city"]:
            try:
                city = City.objects.get(code=options["city"])
            except City.DoesNotExist:
                raise CommandError(f"unknown city code {options['city']!r}")
        for path in options["paths"]:
            try:
                config = CameraConfig.load(path)
                camera = import_camera_config(config, city=city)
            except (OSError, CameraConfigError) as exc:
                raise CommandError(f"{path}: {exc}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"{camera.code}: imported ({camera.lanes.count()} lanes, calibration error "
                    f"{camera.reprojection_error_m:.3f} m, version {camera.config_version})"
                )
            )
            for warning in plate_size_warnings(config):
                self.stdout.write(self.style.WARNING(f"{camera.code}: {warning}"))
