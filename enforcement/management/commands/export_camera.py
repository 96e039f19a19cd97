"""`manage.py export_camera CODE [--out camera.json]`: write a camera as camera.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enforcement.camera_services import camera_to_config
from enforcement.models import Camera


class Command(BaseCommand):
    help = "Export a camera's configuration in the camera.json schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--out", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            camera = Camera.objects.select_related("city").get(code=options["code"])
        except Camera.DoesNotExist:
            raise CommandError(f"no camera with code {options['code']!r}")
        text = camera_to_config(camera).to_json()
        if options["out"]:
            options["out"].write_text(text + "\n", encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"wrote {options['out']}"))
        else:
            self.stdout.write(text)
