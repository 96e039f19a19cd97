"""`manage.py process_video --camera CODE PATH`: detect violations in a recorded clip."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from enforcement.camera_config import CameraConfigError
from enforcement.clip_services import process_clip
from enforcement.models import Camera


def parse_start_time(raw: str | None, source: str) -> datetime:
    """The capture time of the clip's first frame.

    ISO 8601 from `--start-time` (naive means Asia/Karachi); otherwise the recorder's
    file time for a file, or now for a live stream.
    """
    if raw:
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise CommandError(
                f"--start-time must be ISO 8601, e.g. 2026-11-24T08:30:00+05:00, not {raw!r}"
            )
        return value if value.tzinfo else timezone.make_aware(value)
    if "://" in source:
        return timezone.now()
    path = Path(source)
    if not path.exists():
        raise CommandError(f"{path}: no such file or folder")
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())


class Command(BaseCommand):
    help = "Run the detectors and ANPR over a clip (file, folder of frames or RTSP URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="video file, folder of frames, or rtsp:// URL")
        parser.add_argument("--camera", required=True, help="camera code")
        parser.add_argument(
            "--start-time",
            help="capture time of the first frame (ISO 8601); default: the file's recorded time",
        )
        parser.add_argument("--no-ocr", action="store_true", help="skip plate reading")

    def handle(self, *args: Any, **options: Any) -> None:
        from enforcement.video import VideoOpenError

        try:
            camera = Camera.objects.select_related("city").get(code=options["camera"])
        except Camera.DoesNotExist:
            raise CommandError(f"no camera with code {options['camera']!r}; import it first")
        source = options["source"]
        start_time = parse_start_time(options["start_time"], source)
        bar = tqdm(desc=f"{camera.code}", unit="frame", disable=options["verbosity"] == 0)

        def progress(frame: Any) -> None:
            bar.update(1)

        try:
            summary = process_clip(
                camera,
                source,
                start_time=start_time,
                read_plates=not options["no_ocr"],
                progress=progress,
            )
        except (VideoOpenError, CameraConfigError) as exc:
            raise CommandError(str(exc))
        finally:
            bar.close()
        self.stdout.write(
            f"{summary.frames} frames ({summary.corrupt_frames} corrupt, "
            f"{summary.dropped_frames} dropped), {summary.tracks} tracks, {summary.events} events: "
            f"{summary.new_violations} new violations, {summary.duplicates} already recorded"
        )
        for kind, count in sorted(summary.by_kind.items()):
            self.stdout.write(f"  {kind:<12} {count}")
