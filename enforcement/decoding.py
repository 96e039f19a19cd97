"""Clips on disk decoded with PyAV, frames kept as the decoder gives them (I420).

Also the pre-scan that samples a clip's first seconds for learning the empty road.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import av
import av.error
import numpy as np

from enforcement.frames import I420, frame_from, plane_views

log = logging.getLogger(__name__)

# What a frame reader yields: the source timestamp (None: derive it from the frame rate)
# and the pixels (BGR, or I420 planes), or (None, None) for a frame that failed to decode.
Decoded = tuple[float | None, np.ndarray | I420 | None]


class VideoOpenError(RuntimeError):
    """A video source that cannot be opened or decoded, or holds no usable frame."""


def open_container(path: Path | str) -> tuple[av.container.InputContainer, av.VideoStream]:
    """The clip's container and its first video stream; `VideoOpenError` if neither."""
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
    for plane, target in zip(frame.planes, plane_views(i420), strict=True):
        # Decoders pad each row to line_size bytes; the padding is not copied.
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
        target[...] = rows[:, : plane.width]
    return i420


@functools.cache
def keep_frame_buffers() -> None:
    """Keep freed frame-sized blocks in the heap (glibc only; elsewhere nothing).

    A decoded frame is a few MB and one is freed for each one decoded. By default glibc
    gives such blocks back to the kernel and the next frame faults the pages in again:
    a fifth of a millisecond per 1080p frame. Blocks up to 16 MB (a 4K I420 frame) now
    come from the heap, and up to 256 MB of free heap is kept for reuse. Once per
    process.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 16 * 2**20)
    mallopt(m_trim_threshold, 256 * 2**20)


def _seconds(frame: av.VideoFrame, stream: av.VideoStream) -> float | None:
    """The frame's presentation time in seconds from the stream's start (None if unset)."""
    if frame.pts is None:
        return None
    return (frame.pts - (stream.start_time or 0)) * float(stream.time_base or 0)


def file_reader(
    container: av.container.InputContainer, stream: av.VideoStream
) -> Iterator[Decoded]:
    """Decoded frames with their presentation time, counted from the stream's start.

    A packet the decoder rejects is one corrupt frame; a container that breaks off
    mid-file ends the clip there (logged), keeping what was read.
    """
    try:
        for packet in container.demux(stream):
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                log.warning("%s: frame skipped, it does not decode (%s)", container.name, exc)
                yield None, None
                continue
            for frame in decoded:
                yield _seconds(frame, stream), _pixels(frame)
    except av.error.FFmpegError as exc:
        log.warning("%s: stopped reading at a broken container (%s)", container.name, exc)
    finally:
        container.close()


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
    container, stream = open_container(path)
    if keyframes_only:
        # The decoder then skips everything else, however the stream is coded.
        stream.codec_context.skip_frame = "NONKEY"
    epoch = datetime.fromtimestamp(0).astimezone()
    samples: list[np.ndarray] = []
    try:
        for i, frame in enumerate(container.decode(stream)):
            seconds = _seconds(frame, stream)
            timestamp_s = seconds if seconds is not None else i / fps
            if timestamp_s > span_s:
                break
            if (keyframes_only and not frame.key_frame) or i % step:
                continue
            samples.append(frame_from(i, timestamp_s, epoch, _pixels(frame)).resized(size))
    except av.error.FFmpegError as exc:
        log.warning("%s: pre-scan stopped at a frame that does not decode (%s)", path, exc)
    finally:
        container.close()
    return samples
