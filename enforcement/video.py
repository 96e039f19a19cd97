"""Frames from a video file, an RTSP URL or a folder of images, with capture timestamps.

Timestamps come from the source (the container's presentation time, or frame index
divided by the folder's frame rate), never from the wall clock, so speeds measured on
a clip processed later are the same as live.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from enforcement.decoding import (
    Decoded,
    VideoOpenError,
    file_reader,
    keep_frame_buffers,
    open_container,
    sample_file,
)
from enforcement.frames import Frame, frame_from

__all__ = ["Frame", "FrameSource", "SourceStats", "VideoOpenError", "open_source"]


log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
# A gap longer than this many nominal frame intervals means frames were dropped.
_GAP_FACTOR = 1.5
# After this many unreadable frames in a row the stream is treated as ended.
_MAX_CONSECUTIVE_FAILURES = 25


@dataclass
class SourceStats:
    """What happened while reading: frames delivered, and frames lost and why."""

    frames: int = 0
    corrupt_frames: int = 0
    dropped_frames: int = 0
    wrong_size_frames: int = 0


class FrameSource:
    """An iterable of `Frame`s; read once. ``stats`` fills in while iterating."""

    def __init__(
        self,
        description: str,
        fps: float,
        frame_size: tuple[int, int],
        reader: Iterator[Decoded],
        *,
        start_time: datetime,
        expected_size: tuple[int, int] | None,
    ) -> None:
        self.description = description
        self.fps = fps
        self.frame_size = frame_size
        self.start_time = start_time
        self.expected_size = expected_size
        self.stats = SourceStats()
        self._reader = reader
        # A seekable file can be pre-scanned (see `sample_images`); a stream cannot.
        self.file_path: str | None = None

    def sample_images(
        self, *, count: int, span_s: float, size: tuple[int, int]
    ) -> list[np.ndarray]:
        """Up to ``count`` frames spread over the first ``span_s`` of a file, at ``size``.

        Read through a second decoder so the frames this source yields are untouched;
        empty for streams and folders. See `sample_file`.
        """
        if self.file_path is None:
            return []
        return sample_file(self.file_path, count=count, span_s=span_s, size=size, fps=self.fps)

    def __iter__(self) -> Iterator[Frame]:
        interval_s = 1.0 / self.fps
        last_ts: float | None = None
        raw_index = -1
        # Corrupt frames since the last good one: the gap they leave is not a drop.
        corrupt_run = 0
        for timestamp_s, pixels in self._reader:
            raw_index += 1
            if pixels is None:
                self.stats.corrupt_frames += 1
                corrupt_run += 1
                continue
            if timestamp_s is None:
                timestamp_s = raw_index * interval_s
            if last_ts is not None:
                gap_s = timestamp_s - last_ts
                if gap_s <= 0:
                    # Non-increasing presentation times mean a broken container clock;
                    # fall back to the nominal rate so speeds stay sane.
                    timestamp_s = last_ts + interval_s
                elif gap_s > _GAP_FACTOR * interval_s:
                    missing = round(gap_s / interval_s) - 1
                    self.stats.dropped_frames += max(0, missing - corrupt_run)
            corrupt_run = 0
            frame = frame_from(raw_index, float(timestamp_s), self.start_time, pixels)
            last_ts = timestamp_s
            if self.expected_size is not None and frame.size != self.expected_size:
                self.stats.wrong_size_frames += 1
                continue
            self.stats.frames += 1
            yield frame
        if self.stats.frames == 0:
            if self.stats.wrong_size_frames:
                raise VideoOpenError(
                    f"{self.description}: all {self.stats.wrong_size_frames} frames are not "
                    f"{self.expected_size[0]}×{self.expected_size[1]} as the camera configuration "  # type: ignore[index]
                    "says; use the matching camera or fix its resolution"
                )
            raise VideoOpenError(f"{self.description}: no frame could be decoded")
        if self.stats.wrong_size_frames:
            log.warning(
                "%s: skipped %d frames of the wrong size",
                self.description,
                self.stats.wrong_size_frames,
            )


def _capture_reader(
    capture: cv2.VideoCapture, first: np.ndarray, first_ts: float | None
) -> Iterator[Decoded]:
    yield first_ts, first
    failures = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok or image is None:
                # Containers often over-report their frame count, so a failed read is
                # only a corrupt frame once a good frame follows it; otherwise the end.
                failures += 1
                if failures > _MAX_CONSECUTIVE_FAILURES:
                    return
                continue
            for _ in range(failures):
                yield None, None
            failures = 0
            msec = capture.get(cv2.CAP_PROP_POS_MSEC)
            yield (msec / 1000.0 if msec > 0 else None), image
    finally:
        capture.release()


def _nominal_fps(override: float | None, container_rate: float) -> float:
    """The frame rate asked for, else the container's when plausible, else 25."""
    return override or (container_rate if 0 < container_rate < 1000 else 25.0)


def _open_capture(
    source: str, start_time: datetime, expected_size: tuple[int, int] | None, fps: float | None
) -> FrameSource:
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise VideoOpenError(f"cannot open video {source!r}: missing file or unsupported format")
    ok, first = capture.read()
    if not ok or first is None:
        capture.release()
        raise VideoOpenError(f"video {source!r} has no decodable frame (empty or corrupt clip)")
    nominal_fps = _nominal_fps(fps, capture.get(cv2.CAP_PROP_FPS))
    msec = capture.get(cv2.CAP_PROP_POS_MSEC)
    first_ts = msec / 1000.0 if msec > 0 else 0.0
    height, width = first.shape[:2]
    reader = _capture_reader(capture, first, first_ts)
    return FrameSource(
        source,
        nominal_fps,
        (width, height),
        reader,
        start_time=start_time,
        expected_size=expected_size,
    )


def _open_file(
    path: Path, start_time: datetime, expected_size: tuple[int, int] | None, fps: float | None
) -> FrameSource:
    """A clip on disk, decoded with PyAV so frames stay in I420 until BGR is needed."""
    container, stream = open_container(path)
    stream.thread_type = "AUTO"
    keep_frame_buffers()
    reader = file_reader(container, stream)
    first: Decoded = (None, None)
    for first in reader:
        if first[1] is not None:
            break
    timestamp_s, pixels = first
    if pixels is None:
        raise VideoOpenError(f"video {str(path)!r} has no decodable frame (empty or corrupt clip)")
    nominal_fps = _nominal_fps(fps, float(stream.average_rate or stream.guessed_rate or 0))
    size = frame_from(0, 0.0, start_time, pixels).size
    return FrameSource(
        str(path),
        nominal_fps,
        size,
        itertools.chain([(timestamp_s or 0.0, pixels)], reader),
        start_time=start_time,
        expected_size=expected_size,
    )


def _folder_reader(paths: list[Path]) -> Iterator[Decoded]:
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            log.warning("unreadable image %s skipped", path)
        yield None, image


def _open_folder(
    folder: Path, start_time: datetime, expected_size: tuple[int, int] | None, fps: float | None
) -> FrameSource:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise VideoOpenError(f"folder {folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    if not fps:
        raise VideoOpenError(f"folder {folder}: a folder of images needs its frame rate (fps)")
    first = cv2.imread(str(paths[0]), cv2.IMREAD_COLOR)
    size = (first.shape[1], first.shape[0]) if first is not None else (0, 0)
    return FrameSource(
        str(folder),
        fps,
        size,
        _folder_reader(paths),
        start_time=start_time,
        expected_size=expected_size,
    )


def open_source(
    source: str | Path,
    *,
    start_time: datetime,
    fps: float | None = None,
    expected_size: tuple[int, int] | None = None,
) -> FrameSource:
    """Open a video file, an RTSP/HTTP URL or a folder of images.

    Args:
        source: a path to a clip, a folder of images (sorted by name), or a stream URL.
        start_time: the aware capture time of the first frame; each frame's
            ``captured_at`` is this plus its source timestamp.
        fps: the frame rate for a folder (required there) or to override the container's.
        expected_size: ``(width, height)``; frames of another size are skipped and counted.

    Raises:
        VideoOpenError: the source is missing, cannot be opened, or has no decodable frame.
    """
    if start_time.tzinfo is None:
        raise ValueError("start_time must be timezone-aware")
    text = str(source)
    if "://" in text:
        return _open_capture(text, start_time, expected_size, fps)
    path = Path(source)
    if path.is_dir():
        return _open_folder(path, start_time, expected_size, fps)
    if not path.is_file():
        raise VideoOpenError(f"video file {path} does not exist")
    if path.stat().st_size == 0:
        raise VideoOpenError(f"video file {path} is empty (0 bytes)")
    frames = _open_file(path, start_time, expected_size, fps)
    frames.file_path = str(path)
    return frames
