"""Turn whatever the caller hands in into a 3-channel uint8 BGR image, or say why not."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.errors import InvalidImageError

# Below this a plate cannot carry legible characters: callers get an unreadable result.
MIN_SIDE_PX = 12

# A box as (x1, y1, x2, y2) in image pixels.
Xyxy = tuple[float, float, float, float]


def to_bgr(image: object) -> np.ndarray:
    """Return ``image`` as a contiguous ``(H, W, 3)`` uint8 BGR array.

    Accepts a BGR, BGRA or grayscale array (``(H, W)`` or ``(H, W, 1)``), float arrays in
    ``[0, 1]`` or ``[0, 255]``, and encoded image bytes (JPEG, PNG, ...).

    Raises:
        InvalidImageError: for ``None``, empty arrays, undecodable bytes or unsupported shapes.
    """
    if image is None:
        raise InvalidImageError("no image given (None); pass a BGR numpy array or encoded bytes")
    if isinstance(image, bytes | bytearray | memoryview):
        buffer = np.frombuffer(bytes(image), dtype=np.uint8)
        decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR) if buffer.size else None
        if decoded is None:
            raise InvalidImageError(
                f"{len(buffer)} bytes could not be decoded as an image; pass JPEG/PNG bytes"
            )
        return decoded
    if not isinstance(image, np.ndarray):
        raise InvalidImageError(
            f"expected a numpy array or image bytes, got {type(image).__name__}"
        )
    if image.size == 0:
        raise InvalidImageError(f"the image is empty (shape {image.shape})")
    array = _to_uint8(image)
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    if array.ndim == 3 and array.shape[2] == 1:
        return cv2.cvtColor(array[:, :, 0], cv2.COLOR_GRAY2BGR)
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array)
    if array.ndim == 3 and array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_BGRA2BGR)
    raise InvalidImageError(
        f"unsupported image shape {image.shape}; expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
    )


def is_too_small(image_bgr: np.ndarray) -> bool:
    """True when the image is too small to hold a legible plate."""
    height, width = image_bgr.shape[:2]
    return min(height, width) < MIN_SIDE_PX


def crop_xyxy(image_bgr: np.ndarray, xyxy: Xyxy | None) -> tuple[np.ndarray, tuple[int, int]]:
    """Crop a box (clipped to the image) and return it with its top-left offset.

    ``None`` means the whole image.

    Raises:
        InvalidImageError: when the box has non-finite values or does not overlap the image.
    """
    height, width = image_bgr.shape[:2]
    if xyxy is None:
        return image_bgr, (0, 0)
    values = np.asarray(xyxy, dtype=float).reshape(-1)
    if values.size != 4 or not np.all(np.isfinite(values)):
        raise InvalidImageError(
            f"the vehicle box must be 4 finite numbers (x1, y1, x2, y2), got {xyxy!r}"
        )
    x1, y1, x2, y2 = values
    left, right = int(max(0, min(x1, x2))), int(min(width, max(x1, x2)))
    top, bottom = int(max(0, min(y1, y2))), int(min(height, max(y1, y2)))
    if right - left < 1 or bottom - top < 1:
        raise InvalidImageError(
            f"the vehicle box {tuple(values)} lies outside the {width}x{height} frame"
        )
    return image_bgr[top:bottom, left:right], (left, top)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if np.issubdtype(image.dtype, np.floating):
        finite = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        scale = 255.0 if float(finite.max(initial=0.0)) <= 1.0 else 1.0
        return np.clip(finite * scale, 0, 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.integer):
        if image.dtype == np.uint16:
            return (image >> 8).astype(np.uint8)
        return np.clip(image, 0, 255).astype(np.uint8)
    raise InvalidImageError(f"unsupported pixel type {image.dtype}; expected uint8")


def percentiles(gray: np.ndarray, percents: tuple[float, ...]) -> tuple[float, ...]:
    """``np.percentile(gray, percents)`` (linear interpolation), to the last bit, for an
    8-bit image counted in a histogram rather than sorted: several times faster on the
    small crops a plate is read from, where these levels are taken thousands of times.
    Other pixel types are handed to numpy. The levels are ``np.float64``, as numpy's are
    (arithmetic with them on float32 pixels runs in float64 alike).
    """
    if gray.dtype != np.uint8 or gray.size == 0:
        return tuple(np.percentile(gray, percents))
    counts = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    last = gray.size - 1
    result: list[np.float64] = []
    for percent in percents:
        # numpy's virtual index and its lerp (from the far end past halfway).
        index = np.float64(last) * np.true_divide(percent, 100)
        below = int(np.floor(index))
        fraction = index - below
        low = np.float64(np.searchsorted(counts, below, side="right"))
        high = np.float64(np.searchsorted(counts, min(below + 1, last), side="right"))
        step = high - low
        result.append(high - step * (1 - fraction) if fraction >= 0.5 else low + step * fraction)
    return tuple(result)
