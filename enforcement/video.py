"""Frames from a video file, an RTSP URL or a folder of images, with capture timestamps.

Timestamps come from the source (the container's presentation time, or frame index
divided by the folder's frame rate), never from the wall clock, so speeds measured on
a clip processed later are the same as live.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import av
import av.error
import cv2
import numpy as np

from enforcement.frames import I420, Frame

__all__ = ["Frame", "FrameSource", "SourceStats", "VideoOpenError", "open_source"]

# What a frame reader yields: the source timestamp (None: derive it from the frame rate)
# and the pixels (BGR, or I420 planes), or (None, None) for a frame that failed to decode.
Decoded = tuple[float | None, np.ndarray | I420 | None]

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
# A gap longer than this many nominal frame intervals means frames were dropped.
_GAP_FACTOR = 1.5
# After this many unreadable frames in a row the stream is treated as ended.
_MAX_CONSECUTIVE_FAILURES = 25


class VideoOpenError(RuntimeError):
    """A video source that cannot be opened or decoded, or holds no usable frame."""


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
            frame = _frame(raw_index, float(timestamp_s), self.start_time, pixels)
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


def _frame(
    index: int, timestamp_s: float, start_time: datetime, pixels: np.ndarray | I420
) -> Frame:
    captured_at = start_time + timedelta(seconds=timestamp_s)
    if isinstance(pixels, I420):
        return Frame(index, timestamp_s, captured_at, i420=pixels.array)
    return Frame(index, timestamp_s, captured_at, pixels)


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
    container_fps = capture.get(cv2.CAP_PROP_FPS)
    nominal_fps = fps or (container_fps if 0 < container_fps < 1000 else 25.0)
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


def _open_container(path: Path | str) -> tuple[av.container.InputContainer, av.VideoStream]:
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoOpenError(f"cannot open video {str(path)!r}: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise VideoOpenError(f"video {str(path)!r} holds no video stream")
    return container, container.streams.video[0]


def _pixels(frame: av.VideoFrame) -> np.ndarray | I420:
    """A decoded frame's pixels: its I420 planes as they are when the decoder gives
    limited-range 4:2:0 (almost every camera and encoder), else converted to BGR."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        return I420(_i420_copy(frame))
    return frame.to_ndarray(format="bgr24")


def _i420_copy(frame: av.VideoFrame) -> np.ndarray:
    """The frame's three planes copied once into one I420 array (no temporaries)."""
    i420 = np.empty((frame.height * 3 // 2, frame.width), np.uint8)
    flat = i420.reshape(-1)
    offset = 0
    for plane in frame.planes:
        rows, width = plane.height, plane.width
        # Decoders pad each row to line_size bytes; the padding is not copied.
        source = np.frombuffer(memoryview(plane), np.uint8).reshape(rows, plane.line_size)[
            :, :width
        ]
        flat[offset : offset + rows * width].reshape(rows, width)[...] = source
        offset += rows * width
    return i420


def _keep_frame_buffers() -> None:
    """Keep freed frame-sized blocks in the heap (glibc only; elsewhere nothing).

    A decoded frame is a few MB and one is freed for each one decoded. By default glibc
    gives such blocks back to the kernel and the next frame faults the pages in again:
    a fifth of a millisecond per 1080p frame. Blocks up to 16 MB (a 4K I420 frame) now
    come from the heap, and up to 256 MB of free heap is kept for reuse.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 16 * 2**20)
    mallopt(m_trim_threshold, 256 * 2**20)


def _file_reader(
    container: av.container.InputContainer, stream: av.VideoStream
) -> Iterator[Decoded]:
    """Decoded frames with their presentation time, counted from the stream's start.

    A packet the decoder rejects is one corrupt frame; a container that breaks off
    mid-file ends the clip there (logged), keeping what was read.
    """
    origin = stream.start_time or 0
    time_base = float(stream.time_base or 0)
    try:
        for packet in container.demux(stream):
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                log.warning("%s: frame skipped, it does not decode (%s)", container.name, exc)
                yield None, None
                continue
            for frame in decoded:
                pts = frame.pts
                yield ((pts - origin) * time_base if pts is not None else None), _pixels(frame)
    except av.error.FFmpegError as exc:
        log.warning("%s: stopped reading at a broken container (%s)", container.name, exc)
    finally:
        container.close()


def _open_file(
    path: Path, start_time: datetime, expected_size: tuple[int, int] | None, fps: float | None
) -> FrameSource:
    """A clip on disk, decoded with PyAV so frames stay in I420 until BGR is needed."""
    container, stream = _open_container(path)
    stream.thread_type = "AUTO"
    _keep_frame_buffers()
    reader = _file_reader(container, stream)
    first: Decoded = (None, None)
    for first in reader:
        if first[1] is not None:
            break
    timestamp_s, pixels = first
    if pixels is None:
        raise VideoOpenError(f"video {str(path)!r} has no decodable frame (empty or corrupt clip)")
    rate = float(stream.average_rate or stream.guessed_rate or 0)
    nominal_fps = fps or (rate if 0 < rate < 1000 else 25.0)
    size = _frame(0, 0.0, start_time, pixels).size
    return FrameSource(
        str(path),
        nominal_fps,
        size,
        itertools.chain([(timestamp_s or 0.0, pixels)], reader),
        start_time=start_time,
        expected_size=expected_size,
    )


def sample_file(
    path: str | Path, *, count: int, span_s: float, size: tuple[int, int], fps: float
) -> list[np.ndarray]:
    """Up to ``count`` BGR frames at ``size``, spread evenly over a clip's first ``span_s``.

    Key frames alone when the clip has at least half ``count`` of them in the span: they
    decode on their own, so the rest of the span need not be decoded at all. Otherwise
    (long groups of pictures) every frame of the span is decoded and some are kept.
    """
    samples = _sampled(path, span_s=span_s, size=size, fps=fps, keyframes_only=True)
    if len(samples) < count // 2:
        step = max(1, round(span_s * fps / count))
        samples = _sampled(path, span_s=span_s, size=size, fps=fps, step=step)
    if len(samples) <= count:
        return samples
    picks = np.linspace(0, len(samples) - 1, count).round().astype(int)
    return [samples[i] for i in picks]


def _sampled(
    path: str | Path,
    *,
    span_s: float,
    size: tuple[int, int],
    fps: float,
    keyframes_only: bool = False,
    step: int = 1,
) -> list[np.ndarray]:
    """Every ``step``-th frame (or key frame) of the first ``span_s``, at ``size``."""
    container, stream = _open_container(path)
    if keyframes_only:
        # The decoder then skips everything else, however the stream is coded.
        stream.codec_context.skip_frame = "NONKEY"
    origin = stream.start_time or 0
    time_base = float(stream.time_base or 0)
    epoch = datetime.fromtimestamp(0).astimezone()
    samples: list[np.ndarray] = []
    try:
        for i, frame in enumerate(container.decode(stream)):
            pts = frame.pts
            timestamp_s = (pts - origin) * time_base if pts is not None else i / fps
            if timestamp_s > span_s:
                break
            if (keyframes_only and not frame.key_frame) or i % step:
                continue
            samples.append(_frame(i, timestamp_s, epoch, _pixels(frame)).resized(size))
    except av.error.FFmpegError as exc:
        log.warning("%s: pre-scan stopped at a frame that does not decode (%s)", path, exc)
    finally:
        container.close()
    return samples


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
