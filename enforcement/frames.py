"""One decoded frame, kept as the decoder gave it until a stage needs it in colour.

Video decoders give planar YUV 4:2:0 (I420). Turning a whole 1080p frame into BGR costs
a third as much as decoding it, yet most frames are only ever seen by the detector at a
fraction of their size. So a `Frame` holds its I420 planes and converts lazily: the
detector takes `Frame.resized` (scaled on the planes, then converted: a few hundred
thousand pixels instead of two million), the signal monitor takes `Frame.region`, and
the full BGR `Frame.image` is built once, on first use, for the frames that become
evidence or are read for a plate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import cv2
import numpy as np


@dataclass(frozen=True)
class I420:
    """Decoded pixels in I420 layout (see `Frame`), as a frame reader yields them."""

    array: np.ndarray


class Frame:
    """A frame with its index in the source, its source timestamp and capture time.

    Pass either ``image`` (BGR, ``(H, W, 3)`` uint8) or ``i420`` (``(H * 3 // 2, W)``
    uint8, as ``cv2.COLOR_YUV2BGR_I420`` reads it).
    """

    __slots__ = ("index", "timestamp_s", "captured_at", "_bgr", "_i420")

    def __init__(
        self,
        index: int,
        timestamp_s: float,
        captured_at: datetime,
        image: np.ndarray | None = None,
        *,
        i420: np.ndarray | None = None,
    ) -> None:
        if (image is None) == (i420 is None):
            raise ValueError("a Frame takes exactly one of image (BGR) or i420")
        if i420 is not None and not _is_i420(i420):
            raise ValueError(f"not an I420 frame: shape {i420.shape}, dtype {i420.dtype}")
        self.index = index
        self.timestamp_s = timestamp_s
        self.captured_at = captured_at
        self._bgr = image
        self._i420 = i420

    def __repr__(self) -> str:
        width, height = self.size
        return f"Frame(index={self.index}, timestamp_s={self.timestamp_s:.3f}, {width}x{height})"

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        if self._bgr is not None:
            return self._bgr.shape[1], self._bgr.shape[0]
        assert self._i420 is not None
        return self._i420.shape[1], self._i420.shape[0] * 2 // 3

    @property
    def image(self) -> np.ndarray:
        """The whole frame in BGR, converted once on first use."""
        if self._bgr is None:
            assert self._i420 is not None
            self._bgr = cv2.cvtColor(self._i420, cv2.COLOR_YUV2BGR_I420)
        return self._bgr

    def resized(self, size: tuple[int, int], interpolation: int = cv2.INTER_NEAREST) -> np.ndarray:
        """The frame at ``size`` (width, height) in BGR; nearest-neighbour unless told.

        Converts (and keeps) nothing at full size, unless ``size`` is odd.
        """
        if size == self.size:
            return self.image
        width, height = size
        if self._bgr is not None or width % 2 or height % 2:
            return cv2.resize(self.image, size, interpolation=interpolation)
        # Each plane scaled straight into its place in a small I420 frame, then only
        # that is converted.
        small = np.empty((height * 3 // 2, width), np.uint8)
        for plane, target in zip(self._planes(), plane_views(small), strict=True):
            cv2.resize(plane, target.shape[::-1], dst=target, interpolation=interpolation)
        return cv2.cvtColor(small, cv2.COLOR_YUV2BGR_I420)

    def region(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """The BGR pixels of ``[x0, x1) × [y0, y1)``, clipped to the frame."""
        width, height = self.size
        x0, x1 = max(0, min(x0, width)), max(0, min(x1, width))
        y0, y1 = max(0, min(y0, height)), max(0, min(y1, height))
        if x1 <= x0 or y1 <= y0:
            return np.zeros((max(0, y1 - y0), max(0, x1 - x0), 3), np.uint8)
        if self._bgr is not None:
            return self._bgr[y0:y1, x0:x1]
        # Widen to even bounds so the chroma planes crop exactly, then trim.
        ex0, ey0 = x0 - x0 % 2, y0 - y0 % 2
        ex1, ey1 = min(width, x1 + x1 % 2), min(height, y1 + y1 % 2)
        crop = np.empty(((ey1 - ey0) * 3 // 2, ex1 - ex0), np.uint8)
        for subsampling, plane, target in zip(
            (1, 2, 2), self._planes(), plane_views(crop), strict=True
        ):
            target[...] = plane[
                ey0 // subsampling : ey1 // subsampling, ex0 // subsampling : ex1 // subsampling
            ]
        bgr = cv2.cvtColor(crop, cv2.COLOR_YUV2BGR_I420)
        return bgr[y0 - ey0 : y1 - ey0, x0 - ex0 : x1 - ex0]

    def _planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert self._i420 is not None
        return plane_views(self._i420)


def plane_views(i420: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Y, U and V planes of an I420 array, as views into it."""
    rows, width = i420.shape
    height = rows * 2 // 3
    quarter = (height // 2) * (width // 2)
    chroma = i420[height:].reshape(-1)
    return (
        i420[:height],
        chroma[:quarter].reshape(height // 2, width // 2),
        chroma[quarter : 2 * quarter].reshape(height // 2, width // 2),
    )


def frame_from(
    index: int, timestamp_s: float, start_time: datetime, pixels: np.ndarray | I420
) -> Frame:
    """A `Frame` from a reader's pixels: BGR, or `I420` planes."""
    captured_at = start_time + timedelta(seconds=timestamp_s)
    if isinstance(pixels, I420):
        return Frame(index, timestamp_s, captured_at, i420=pixels.array)
    return Frame(index, timestamp_s, captured_at, pixels)


def _is_i420(array: np.ndarray) -> bool:
    # (H * 3 / 2, W) with H and W even: the rows hold a whole number of chroma rows.
    rows, width = array.shape if array.ndim == 2 else (0, 0)
    return array.dtype == np.uint8 and rows > 0 and width % 2 == 0 and rows % 3 == 0


def as_i420(image_bgr: np.ndarray) -> np.ndarray:
    """BGR (even width and height) to I420, as a decoder would give it."""
    return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YUV_I420)
