"""Process a recorded clip for a camera and persist what it finds (Django side of the engine).

`process_video` (command) and `enforcement.process_clip` (Celery task) both call
`process_clip`; the engine itself (`enforcement.pipeline`) knows nothing of Django.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from enforcement.camera_services import camera_to_config
from enforcement.events import ViolationEvent
from enforcement.models import Camera

logger = logging.getLogger(__name__)


@dataclass
class ClipSummary:
    camera_code: str
    path: str
    frames: int = 0
    corrupt_frames: int = 0
    dropped_frames: int = 0
    tracks: int = 0
    events: int = 0
    new_violations: int = 0
    duplicates: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    violation_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["by_kind"] = dict(self.by_kind)
        return data


def default_plate_reader() -> Any:
    """The process-wide ANPR reader (EasyOCR loaded once per process, lazily)."""
    from ocr import get_plate_reader

    return get_plate_reader(settings.NIGRAN["OCR_MODEL_DIR"])


def process_clip(
    camera: Camera,
    source: str | Path,
    *,
    start_time: datetime,
    read_plates: bool = True,
    progress: Callable[[Any], None] | None = None,
) -> ClipSummary:
    """Run the engine over `source` and record each violation event as it is finalised."""
    from enforcement.pipeline import run_pipeline
    from enforcement.video import open_source
    from violations.services import record_violation_event

    config = camera_to_config(camera)
    summary = ClipSummary(camera_code=camera.code, path=str(source))

    def persist(event: ViolationEvent) -> None:
        violation, created = record_violation_event(event)
        summary.events += 1
        summary.by_kind[event.kind] += 1
        if created:
            summary.new_violations += 1
            summary.violation_ids.append(violation.pk)
        else:
            summary.duplicates += 1

    spool = Path(tempfile.mkdtemp(prefix=f"nigran-{camera.code}-", dir=_spool_root()))
    try:
        frames = open_source(source, start_time=start_time)
        result = run_pipeline(
            frames,
            config,
            out_dir=spool,
            plate_reader=default_plate_reader() if read_plates else None,
            on_event=persist,
            progress=progress,
        )
    finally:
        # Evidence has been copied into write-once storage by then; the spool is scratch.
        shutil.rmtree(spool, ignore_errors=True)
    stats = result.stats
    summary.frames = int(getattr(stats, "frames", 0))
    summary.corrupt_frames = int(getattr(stats, "corrupt_frames", 0))
    summary.dropped_frames = int(getattr(stats, "dropped_frames", 0))
    summary.tracks = int(getattr(stats, "tracks", 0))
    return summary


def _spool_root() -> Path:
    root = Path(settings.MEDIA_ROOT).parent / "spool"
    root.mkdir(parents=True, exist_ok=True)
    return root
