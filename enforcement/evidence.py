"""Evidence files for one violation: frames with a data bar, a plate frame and a clip.

Every file is written once into the event's own folder (an existing file is never
overwritten: that would change evidence whose checksum may already be recorded).
Times on the data bar are shown in Asia/Karachi to the millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from enforcement.events import EvidenceFile

DISPLAY_TZ = ZoneInfo("Asia/Karachi")
_FONT = cv2.FONT_HERSHEY_SIMPLEX


class EvidenceWriteError(RuntimeError):
    """Evidence could not be written (disk full, permissions, or a file already there)."""


@dataclass(frozen=True)
class DataBar:
    """The facts printed on every evidence frame."""

    camera_code: str
    location: str
    violation: str
    speed_kmh: float | None = None
    limit_kmh: float | None = None

    def lines(
        self,
        captured_at: datetime,
        frame_index: int,
        signal_state: str | None = None,
        time_into_red_s: float | None = None,
    ) -> list[str]:
        local = captured_at.astimezone(DISPLAY_TZ)
        stamp = local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d} PKT"
        first = f"{self.camera_code}  {self.location}  {stamp}  frame {frame_index}"
        facts = [self.violation.replace("_", " ").upper()]
        if signal_state:
            signal = f"signal {signal_state}"
            if time_into_red_s is not None:
                signal += f"  {time_into_red_s:.2f} s into red"
            facts.append(signal)
        if self.speed_kmh is not None:
            facts.append(f"speed {self.speed_kmh:.1f} km/h")
        if self.limit_kmh is not None:
            facts.append(f"limit {self.limit_kmh:.0f} km/h")
        return [first, "  |  ".join(facts)]


@dataclass(frozen=True)
class EvidenceFrame:
    """A frame to save: what it proves (``role``) and the vehicle's box in it."""

    role: str
    frame_index: int
    captured_at: datetime
    image: np.ndarray
    xyxy: tuple[float, float, float, float] | None
    signal_state: str | None = None
    time_into_red_s: float | None = None


def draw_data_bar(image: np.ndarray, bar: DataBar, frame: EvidenceFrame) -> np.ndarray:
    """A copy of the frame's image with a black data bar below it and the vehicle boxed."""
    height, width = image.shape[:2]
    scale = max(0.4, width / 1600)
    line_px = int(30 * scale) + 6
    lines = bar.lines(
        frame.captured_at, frame.frame_index, frame.signal_state, frame.time_into_red_s
    )
    box_xyxy = frame.xyxy
    canvas = np.zeros((height + line_px * len(lines) + 8, width, 3), dtype=np.uint8)
    canvas[:height] = image
    if box_xyxy is not None:
        x0, y0, x1, y1 = (int(round(v)) for v in box_xyxy)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), (0, 255, 255), max(1, int(2 * scale)))
    for i, text in enumerate(lines):
        y = height + line_px * (i + 1)
        cv2.putText(canvas, text, (8, y), _FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return canvas


def _write_once(path: Path, write: bool) -> None:
    if not write:
        raise EvidenceWriteError(f"could not write evidence file {path}")


def write_image(path: Path, image: np.ndarray, quality: int = 92) -> None:
    if path.exists():
        raise EvidenceWriteError(f"evidence file {path} already exists; evidence is write-once")
    _write_once(path, cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, quality]))


def write_clip(path: Path, frames: Sequence[np.ndarray], fps: float) -> None:
    """Write frames (all one size) as an MP4 (MPEG-4 part 2, which OpenCV always has)."""
    if path.exists():
        raise EvidenceWriteError(f"evidence file {path} already exists; evidence is write-once")
    if not frames:
        raise EvidenceWriteError(f"no frames for clip {path}")
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise EvidenceWriteError(f"cannot open an MP4 writer for {path}")
    try:
        for frame in frames:
            if frame.shape[:2] != (height, width):
                frame = cv2.resize(frame, (width, height))
            writer.write(frame)
    finally:
        writer.release()


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of a BGR crop: higher is sharper."""
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def write_event_evidence(
    folder: Path,
    bar: DataBar,
    frames: Sequence[EvidenceFrame],
    plate_frame: EvidenceFrame | None,
    clip_frames: Sequence[np.ndarray],
    clip_fps: float,
    clip_start: tuple[int, datetime] | None,
) -> list[EvidenceFile]:
    """Write one event's evidence into ``folder`` (created; must not exist yet)."""
    try:
        folder.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise EvidenceWriteError(f"evidence folder {folder} already exists; evidence is write-once")
    files: list[EvidenceFile] = []
    for number, frame in enumerate(frames, start=1):
        path = folder / f"{number:02d}_{frame.role}_f{frame.frame_index}.jpg"
        write_image(path, draw_data_bar(frame.image, bar, frame))
        files.append(EvidenceFile("frame", frame.role, path, frame.frame_index, frame.captured_at))
    if plate_frame is not None:
        path = folder / f"plate_f{plate_frame.frame_index}.jpg"
        write_image(path, plate_frame.image, quality=97)
        files.append(
            EvidenceFile(
                "plate_frame", "plate", path, plate_frame.frame_index, plate_frame.captured_at
            )
        )
    if clip_frames and clip_start is not None:
        path = folder / "clip.mp4"
        write_clip(path, clip_frames, clip_fps)
        files.append(EvidenceFile("clip", "clip", path, clip_start[0], clip_start[1]))
    return files
