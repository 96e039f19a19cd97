"""Vehicles in one frame: background subtraction by default, an ONNX detector optionally.

Both return `Detections`, parallel numpy arrays in full-frame pixels. Background
subtraction runs on a downscaled copy (it is the cost that decides frames per second),
cuts off a vehicle that stands out at the side of a nearer one it merged with, and
rejects blobs whose footprint in road metres cannot be a vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from enforcement.geometry import Calibration

# MOG2 marks shadow pixels 127 and foreground 255; thresholding above the shadow value
# is the shadow suppression.
_SHADOW_VALUE = 127


class DetectorConfigError(RuntimeError):
    """The configured detector model cannot be loaded; the message says what is wrong."""


@dataclass(frozen=True)
class Detections:
    """Boxes in one frame. ``xyxy`` is (N, 4) pixels; the others are (N,).

    ``class_id`` indexes `enforcement.events.VEHICLE_CLASSES`, or is -1 when the
    detector does not classify (background subtraction)."""

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    tracker_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # (N, 2) where each vehicle meets the road, when the detector knows better than the
    # box's bottom-centre (which perspective pulls sideways towards the image centre).
    anchor_px: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        if self.xyxy.shape != (n, 4):
            raise ValueError(f"xyxy must have shape (N, 4), got {self.xyxy.shape}")
        for name in ("confidence", "class_id"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        if len(self.tracker_id) not in (0, n):
            raise ValueError(f"tracker_id must have shape ({n},) or (0,)")
        if self.anchor_px is not None and self.anchor_px.shape != (n, 2):
            raise ValueError(f"anchor_px must have shape ({n}, 2), got {self.anchor_px.shape}")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, mask: np.ndarray) -> Detections:
        return Detections(
            self.xyxy[mask],
            self.confidence[mask],
            self.class_id[mask],
            self.tracker_id[mask] if len(self.tracker_id) else self.tracker_id,
            None if self.anchor_px is None else self.anchor_px[mask],
        )

    def with_tracker_id(self, tracker_id: np.ndarray) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, tracker_id, self.anchor_px)

    @property
    def ground_px(self) -> np.ndarray:
        """(N, 2): where each vehicle meets the road (its anchor, or the box's bottom-centre)."""
        if self.anchor_px is not None:
            return self.anchor_px
        return np.column_stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) / 2, self.xyxy[:, 3]])


@dataclass(frozen=True)
class BackgroundSettings:
    """Tuning of background subtraction; sizes are on the road in metres."""

    work_width_px: int = 480
    method: str = "selective"
    # MOG2 only.
    history_frames: int = 300
    background_ratio: float = 0.9
    var_threshold: float = 24.0
    min_width_m: float = 0.5
    max_width_m: float = 6.0
    min_area_px: int = 40
    # A vehicle that stands out at the side of a nearer one it merged with (see
    # `side_shelves`) is cut off where its bottom edge is at least this wide and has at
    # least this much road below it; half as much within this step of a shelf cut in the
    # previous frame.
    min_shelf_m: float = 0.6
    min_shelf_road_m: float = 1.0
    max_shelf_step_m: float = 1.5


class SelectiveBackground:
    """A running-average background that learns the road only where no vehicle is.

    MOG2 updates every pixel, so at a junction it learns the colours of the queue that
    stands on the stop line through each red phase (dark cars and vehicle shadows in
    particular) and later vehicles of those colours vanish. Here pixels covered by
    foreground learn ``foreground_rate`` times slower than road pixels, just enough to
    heal the ghost of a vehicle that was in the priming frames.

    Output follows MOG2's convention: 255 foreground, 127 shadow, 0 background.
    Shadow: darker than the road by a ratio in ``[shadow_min_ratio, 0.95]`` with the
    same hue (equal per-channel ratios).
    """

    def __init__(
        self,
        *,
        threshold: float = 22.0,
        road_rate: float = 0.02,
        foreground_rate: float = 0.001,
        shadow_min_ratio: float = 0.5,
        shadow_chroma_tolerance: float = 0.08,
        settle_frames: int = 0,
        noise_sigmas: float = 4.0,
        absorb_static_frames: int = 15,
        static_threshold: float = 10.0,
    ) -> None:
        self.threshold = threshold
        self.road_rate = road_rate
        self.foreground_rate = foreground_rate
        self.shadow_min_ratio = shadow_min_ratio
        self.shadow_chroma_tolerance = shadow_chroma_tolerance
        self.settle_frames = settle_frames
        self.noise_sigmas = noise_sigmas
        if not 0 < absorb_static_frames < 255:
            raise ValueError("absorb_static_frames must be 1–254 (counted in 8 bits)")
        self.absorb_static_frames = absorb_static_frames
        self.static_threshold = static_threshold
        self._previous: np.ndarray | None = None
        self._static: np.ndarray = np.zeros((0, 0), np.uint8)
        self.background: np.ndarray | None = None
        # Per pixel, noise_sigmas² × the variance of the road's colour difference: the
        # squared difference (scaled alike) a pixel must beat to be foreground.
        self.noise_floor = np.zeros((0, 0), np.float32)
        self._frames = 0
        self._dilate = cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7))

    def prime(self, image: np.ndarray) -> None:
        self.background = image.astype(np.float32)
        self.noise_floor = np.full(
            image.shape[:2], (self.threshold / 4 * self.noise_sigmas) ** 2, np.float32
        )
        self._static = np.zeros(image.shape[:2], np.uint8)
        self._previous = None
        self._frames = 0

    def apply(self, image: np.ndarray, held: np.ndarray | None = None) -> np.ndarray:
        """The foreground of ``image`` (255, shadow 127, road 0); learns the road.

        ``held`` (uint8 mask, 255 where a tracked vehicle that has driven in stands)
        is never learnt: a queue waiting through a long red stays foreground, and
        leaves no ghost behind when it drives off.
        """
        # OpenCV calls throughout, on the uint8 frame against a rounded copy of the
        # float background: numpy reductions over the colour axis cost ten times more
        # at this size, float images three times more, and this runs on every frame.
        if self.background is None:
            self.prime(image)
            return np.zeros(image.shape[:2], np.uint8)
        background = self.background
        road_u8 = cv2.convertScaleAbs(background)
        diff_u8 = _channel_max(cv2.absdiff(image, road_u8))
        diff = diff_u8.astype(np.float32)
        # Compression noise along painted edges flickers well above sensor noise: a
        # per-pixel noise estimate keeps those pixels from lighting up.
        diff2 = cv2.multiply(diff, diff, scale=self.noise_sigmas**2)
        foreground = cv2.bitwise_and(
            cv2.compare(diff_u8, np.float64(self.threshold), cv2.CMP_GT),  # type: ignore[call-overload]
            cv2.compare(diff2, self.noise_floor, cv2.CMP_GT),
        )
        # Shadow pixels go from 255 to 127.
        shadow_bit = cv2.bitwise_and(self._shadow(image, foreground), np.float64(128))  # type: ignore[call-overload]
        out = cv2.subtract(foreground, shadow_bit)
        covered = cv2.dilate(foreground, self._dilate)
        road = cv2.bitwise_not(covered)
        self._frames += 1
        # For the first frames after priming, foreground learns fast too: it is mostly
        # the ghosts of vehicles that stood in the priming frames.
        fg_rate = self.foreground_rate
        if self._frames <= self.settle_frames:
            fg_rate = max(fg_rate, 1.0 / (2 * self._frames + 2))
        cv2.accumulateWeighted(image, background, self.road_rate, mask=road)
        # Pixels the model may learn from: all but the held ones.
        learnable = None if held is None else cv2.bitwise_not(held)
        if learnable is not None:
            covered = cv2.bitwise_and(covered, learnable)
        cv2.accumulateWeighted(image, background, fg_rate, mask=covered)
        cv2.accumulateWeighted(diff2, self.noise_floor, self.road_rate, mask=road)
        # Foreground that has not changed for a while is a parked vehicle or the ghost
        # of one that stood in the priming frames; either way it is road now.
        if self._previous is not None:
            moved = _channel_max(cv2.absdiff(image, self._previous))
            still = cv2.compare(moved, np.float64(self.static_threshold), cv2.CMP_LT)  # type: ignore[call-overload]
            still = cv2.bitwise_and(still, foreground)
            if learnable is not None:
                still = cv2.bitwise_and(still, learnable)
            # Frames each pixel has stood still as foreground (saturating at 255); 0
            # where it moved or is road.
            self._static = cv2.add(self._static, np.float64(1), mask=still)  # type: ignore[call-overload,unused-ignore]
            stale = cv2.compare(self._static, np.float64(self.absorb_static_frames), cv2.CMP_GT)  # type: ignore[call-overload]
            if cv2.countNonZero(stale):
                cv2.accumulateWeighted(image, background, 0.1, mask=stale)
        self._previous = image
        return out

    def _shadow(self, image: np.ndarray, foreground: np.ndarray) -> np.ndarray:
        """255 where a foreground pixel is the road darkened with its hue kept (a shadow).

        Darkened: every channel's ratio ``(pixel + 1) / (road + 1)`` lies in
        ``[shadow_min_ratio, 0.95]``, tested on the whole frame as a per-pixel range of
        whole pixel values. Same hue: the channel ratios within
        ``shadow_chroma_tolerance`` of each other, tested only where the range test
        passed (a few pixels).
        """
        assert self.background is not None
        shadow = np.zeros_like(foreground)
        # Only the rectangle around the foreground can hold a shadow pixel.
        x, y, w, h = cv2.boundingRect(foreground)
        if w == 0 or h == 0:
            return shadow
        rows, cols = slice(y, y + h), slice(x, x + w)
        road, pixels = self.background[rows, cols], image[rows, cols]
        # v >= k(r + 1) - 1 for whole v is v >= ceil(k(r + 1) - 1): rounding up is
        # rounding (k(r + 1) - 1 + 0.5); likewise rounding down for the upper bound.
        low = self.shadow_min_ratio
        lower = cv2.convertScaleAbs(road, alpha=low, beta=low - 0.5)
        upper = cv2.convertScaleAbs(road, alpha=0.95, beta=0.95 - 1.5)
        darker = cv2.bitwise_and(cv2.inRange(pixels, lower, upper), foreground[rows, cols])
        points = cv2.findNonZero(darker)
        if points is not None:
            xs, ys = points.reshape(-1, 2).T
            ratio = (pixels[ys, xs].astype(np.float32) + 1) / (road[ys, xs] + 1)
            spread = ratio.max(axis=1) - ratio.min(axis=1)
            off_hue = spread > self.shadow_chroma_tolerance
            darker[ys[off_hue], xs[off_hue]] = 0
        shadow[rows, cols] = darker
        return shadow


class BackgroundDetector:
    """Background subtraction with shadow suppression and morphology.

    ``method`` is ``selective`` (default, see `SelectiveBackground`) or ``mog2``
    (OpenCV's Gaussian mixture). One instance per camera stream: it learns that
    camera's empty road.
    """

    def __init__(
        self,
        frame_size: tuple[int, int],
        calibration: Calibration,
        settings: BackgroundSettings | None = None,
        roi_polygon_px: np.ndarray | None = None,
    ) -> None:
        self.settings = settings or BackgroundSettings()
        width, height = frame_size
        self.scale = min(1.0, self.settings.work_width_px / width)
        self.work_size = (max(1, round(width * self.scale)), max(1, round(height * self.scale)))
        self.calibration = calibration
        self.selective = SelectiveBackground() if self.settings.method == "selective" else None
        self.subtractor = cv2.createBackgroundSubtractorMOG2(
            history=self.settings.history_frames,
            varThreshold=self.settings.var_threshold,
            detectShadows=True,
        )
        self.subtractor.setShadowThreshold(0.6)
        self.subtractor.setBackgroundRatio(self.settings.background_ratio)
        self.open_kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        self.close_kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
        self.roi_mask: np.ndarray | None = None
        if roi_polygon_px is not None:
            mask = np.zeros((self.work_size[1], self.work_size[0]), np.uint8)
            cv2.fillPoly(mask, [np.round(roi_polygon_px * self.scale).astype(np.int32)], 255)
            self.roi_mask = mask
        self._held: np.ndarray | None = None
        # Road points (metres) of the shelves cut in this frame and in the previous one.
        self._shelves_m: list[np.ndarray] = []
        self._last_shelves_m = np.zeros((0, 2))

    def hold(self, xyxy_px: np.ndarray) -> None:
        """Boxes (N, 4) of tracked vehicles that have driven in: for the next frame, the
        background model does not learn under them (see `SelectiveBackground.apply`)."""
        if len(xyxy_px) == 0:
            self._held = None
            return
        held = np.zeros((self.work_size[1], self.work_size[0]), np.uint8)
        for x0, y0, x1, y1 in np.round(np.asarray(xyxy_px) * self.scale).astype(np.int32):
            held[max(y0, 0) : y1 + 1, max(x0, 0) : x1 + 1] = 255
        self._held = held

    def prime(self, images: list[np.ndarray]) -> None:
        """Start from the empty road seen in a few frames (see `road_from_samples`).

        A clip that starts with traffic in view would otherwise leave a ghost of every
        vehicle of frame 0 in the background model for hundreds of frames.
        """
        if not images:
            return
        small = np.stack(
            [
                i if i.shape[1::-1] == self.work_size else cv2.resize(i, self.work_size)
                for i in images
            ]
        )
        road = road_from_samples(small)
        if self.selective is not None:
            self.selective.prime(road)
            return
        for _ in range(3):
            self.subtractor.apply(road, learningRate=1.0)

    def foreground(self, image: np.ndarray) -> np.ndarray:
        """The cleaned foreground mask at working resolution (uint8, 0 or 255).

        ``image`` is the frame at full size or already at ``work_size`` (the pipeline
        scales frames before converting them to colour: see `enforcement.frames`).
        """
        small = image
        if image.shape[1::-1] != self.work_size:
            # Nearest-neighbour: a tenth of the cost of area averaging at 1080p, and the
            # per-pixel noise model absorbs the extra noise it keeps.
            small = cv2.resize(image, self.work_size, interpolation=cv2.INTER_NEAREST)
        if self.selective is not None:
            raw = self.selective.apply(small, self._held)
        else:
            raw = self.subtractor.apply(small)
        _, mask = cv2.threshold(raw, _SHADOW_VALUE, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self.open_kernel)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self.close_kernel, iterations=2)
        if self.roi_mask is not None:
            mask = cv2.bitwise_and(mask, self.roi_mask)
        return mask

    def detect(self, image: np.ndarray) -> Detections:
        mask = self.foreground(image)
        count, labels, stats = _label(mask)
        if self._cut_side_by_side(mask, labels, stats):
            count, labels, stats = _label(mask)
        if count <= 1:
            return Detections.empty()
        ids = np.arange(1, count)
        ids = ids[stats[1:, cv2.CC_STAT_AREA] >= self.settings.min_area_px]
        if len(ids) == 0:
            return Detections.empty()
        stats = stats[ids]
        parent = join_stacked_parts(stats)
        x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
        w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
        boxes = np.column_stack([x, y, x + w, y + h])
        roots = np.unique(parent)
        groups = [np.nonzero(parent == r)[0] for r in roots]
        xyxy = np.array(
            [[*boxes[g, :2].min(axis=0), *boxes[g, 2:].max(axis=0)] for g in groups],
            dtype=np.float64,
        ).reshape(-1, 4)
        area = np.array([stats[g, cv2.CC_STAT_AREA].sum() for g in groups], dtype=np.float64)
        fill = area / np.maximum((xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1]), 1)
        xyxy /= self.scale
        # The lowest part of a group is where the vehicle meets the road.
        lowest = [int(g[np.argmax(boxes[g, 3])]) for g in groups]
        anchors = (
            np.array([self._anchor(labels, int(ids[i]), stats[i]) for i in lowest]).reshape(-1, 2)
            / self.scale
        )
        width_m = self._ground_width_m(xyxy)
        keep = (width_m >= self.settings.min_width_m) & (width_m <= self.settings.max_width_m)
        return Detections(
            xyxy[keep],
            fill[keep].astype(np.float64),
            # Background subtraction cannot tell classes apart: -1, sized up later.
            np.full(int(keep.sum()), -1, np.int64),
            anchor_px=anchors[keep],
        )

    def _cut_side_by_side(self, mask: np.ndarray, labels: np.ndarray, stats: np.ndarray) -> bool:
        """Cut ``mask`` (in place) where a vehicle stands out at a blob's side above a
        shelf (see `side_shelves`) that is a vehicle's bottom edge; whether it cut any.

        The cut is a line of road from the shelf's inner end up to the blob's top along
        the nearer vehicle's side: the part beyond it becomes a blob.
        """
        self._last_shelves_m, self._shelves_m = np.array(self._shelves_m).reshape(-1, 2), []
        for label in np.nonzero(stats[1:, cv2.CC_STAT_AREA] >= self.settings.min_area_px)[0] + 1:
            x, y, w, h = (int(v) for v in stats[label, :4])
            blob = labels[y : y + h, x : x + w] == label
            for flipped in (False, True):
                for shelf in side_shelves(blob[:, ::-1] if flipped else blob):
                    outer, inner = shelf.outer, shelf.inner
                    if flipped:
                        outer, inner = w - 1 - outer, w - 1 - inner
                    point_m = self._bottom_edge_m(mask, x + outer, x + inner, y + shelf.row + 1)
                    if point_m is not None:
                        self._shelves_m.append(point_m)
                        line = _cut_line(shelf, w, flipped)
                        area = mask[y : y + len(line), x : x + w]
                        area[(line > 0) & blob[: len(line)]] = 0
        return bool(self._shelves_m)

    def _bottom_edge_m(
        self, mask: np.ndarray, outer: int, inner: int, row: int
    ) -> np.ndarray | None:
        """Where on the road (metres) the middle of a shelf stands, if the road right
        under it, ``outer..inner`` of work row ``row``, is under a vehicle's bottom
        edge beside a nearer vehicle; None if not.

        The stretch is at least ``min_shelf_m`` wide with at least ``min_shelf_road_m``
        of road below its middle, and the nearer vehicle is solid right beside it: at
        least half of the square as wide as the stretch, below and inside its inner end,
        is foreground (a grey car on a grey road falls apart into outlines with road
        between them, and those step in and out everywhere). A shelf within
        ``max_shelf_step_m`` of one cut in the previous frame needs half the width and
        road: the farther vehicle is followed as it drives out of view or behind the
        nearer one.
        """
        middle, width = (outer + inner) // 2, abs(inner - outer)
        below = mask[row:, middle]
        depth = int(np.argmax(below)) if below.any() else len(below)
        ends = np.array([[outer, row], [inner, row], [middle, row], [middle, row + depth]])
        a, b, c, d = self.calibration.image_to_road(ends / self.scale)
        start = inner if inner > outer else max(inner - width + 1, 0)
        beside = mask[row : row + width, start : start + width]
        known = self._last_shelves_m
        share = 1.0
        if len(known) and np.linalg.norm(known - c, axis=1).min() <= self.settings.max_shelf_step_m:
            share = 0.5
        found = (
            np.linalg.norm(b - a) >= share * self.settings.min_shelf_m
            and np.linalg.norm(d - c) >= share * self.settings.min_shelf_road_m
            and 2 * cv2.countNonZero(beside) >= beside.size
        )
        return c if found else None

    def _anchor(self, labels: np.ndarray, label: int, stat: np.ndarray) -> tuple[float, float]:
        """The middle of the blob's lowest rows: the centre of its nearest edge."""
        x, y = int(stat[cv2.CC_STAT_LEFT]), int(stat[cv2.CC_STAT_TOP])
        w, h = int(stat[cv2.CC_STAT_WIDTH]), int(stat[cv2.CC_STAT_HEIGHT])
        rows = max(1, min(h, 3))
        band = labels[y + h - rows : y + h, x : x + w] == label
        columns = np.nonzero(band.any(axis=0))[0]
        centre_x = x + (columns.min() + columns.max() + 1) / 2 if len(columns) else x + w / 2
        return (float(centre_x), float(y + h))

    def _ground_width_m(self, xyxy: np.ndarray) -> np.ndarray:
        """The width on the road of each box's bottom edge, in metres."""
        left = self.calibration.image_to_road(np.column_stack([xyxy[:, 0], xyxy[:, 3]]))
        right = self.calibration.image_to_road(np.column_stack([xyxy[:, 2], xyxy[:, 3]]))
        return np.linalg.norm(right - left, axis=1)


def _label(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected blobs: their count (with the background), labels and stats."""
    # BBDT: the same labels as the default (Spaghetti), in a third of the time here.
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask, 8, cv2.CV_32S, cv2.CCL_BBDT
    )
    return count, labels, stats


class Shelf(NamedTuple):
    """A step of a blob's left edge (see `side_shelves`), in the blob's coordinates."""

    row: int  # the farther vehicle's lowest row
    outer: int  # its outer end
    inner: int  # the nearer vehicle's side in the row below
    # Columns per row the nearer vehicle's side moves inwards going up, measured below
    # the shelf: the cut follows it (a straight edge of a box stays straight).
    lean: float


def side_shelves(blob: np.ndarray, *, min_step_px: int = 3, lean_rows: int = 24) -> list[Shelf]:
    """Where a blob's left edge steps inwards from one row to the next.

    Two vehicles side by side merge into one blob when the nearer, taller one's roof
    covers the road between them. The farther one then stands out at the blob's side
    above a shelf: its own bottom edge, with road below, ending where the nearer one's
    side begins. Only a sharp step counts: just above it the edge is steady, where a
    vehicle's own slanted lower side would step inwards row after row. Flip ``blob``
    left to right for its right side.

    Args:
        blob: (H, W) bool, one connected blob cropped to its box.
        lean_rows: how many rows below the shelf measure the nearer side's lean.
    """
    left = blob.argmax(axis=1)
    step = np.diff(left)
    rows = np.nonzero(step >= min_step_px)[0]
    rows = rows[rows >= 2]
    steady = 2 * np.abs(left[rows] - left[rows - 2]) <= step[rows]
    shelves = []
    for row in rows[steady].tolist():
        side = left[row + 1 : row + 1 + lean_rows]
        lean = max(0.0, float(side[0] - side[-1]) / max(len(side) - 1, 1))
        shelves.append(Shelf(row, int(left[row]), int(left[row + 1]), lean))
    return shelves


def _cut_line(shelf: Shelf, width: int, flipped: bool) -> np.ndarray:
    """The cut for ``shelf`` in a blob ``width`` wide: (shelf row + 2, width) uint8, 255
    on a 4-connected line (it parts 8-connected blobs) from just outside the nearer
    vehicle's side under the shelf up to the top row, leaning with that side; upright
    where the lean would leave the blob."""
    line = np.zeros((shelf.row + 2, width), np.uint8)
    bottom = shelf.inner - 1
    top = round(bottom + shelf.lean * (shelf.row + 1))
    if top > width - 2:
        top = bottom
    cv2.line(line, (bottom, shelf.row + 1), (top, 0), 255, 1, lineType=4)
    return line[:, ::-1] if flipped else line


def _channel_max(image: np.ndarray) -> np.ndarray:
    """The per-pixel maximum over a 3-channel image's channels."""
    b, g, r = cv2.split(image)
    return cv2.max(cv2.max(b, g), r)


def road_from_samples(
    samples: np.ndarray, *, tolerance: float = 8.0, step_px: int = 3
) -> np.ndarray:
    """The empty road from (K, H, W, 3) frames in time order: (H, W, 3) uint8.

    A per-pixel median learns whatever covers a pixel more than half the time, and at
    a junction that is the queue standing through a long red. The road differs from
    any vehicle in that it comes back: it shows between one vehicle and the next, in
    separate spells, while a vehicle that stops is one spell, however long. So each
    pixel takes the colour seen most often outside its longest spell (then most often
    overall), averaged over the frames that show it. Colours are chosen on every
    ``step_px``-th pixel to keep priming cheap, then again for each pixel its block's
    colour does not fit (at a marking's or a vehicle's edge). ``tolerance`` is tight
    because dark cars, all within a loose one of each other, pass in many spells.
    """
    count, height, width = samples.shape[:3]
    if count < 3:
        return np.median(samples, axis=0).astype(np.uint8)
    coarse = np.ascontiguousarray(samples[:, ::step_px, ::step_px])
    rows, cols = coarse.shape[1:3]
    colour, support = _road_colours(coarse.reshape(count, rows * cols, 3), tolerance)
    # The winning colour (not the winning frame: at a vehicle's edge the neighbour's
    # frame may show the vehicle) is spread back to every pixel.
    reference = _spread(colour.reshape(rows, cols, 3), step_px, (height, width))
    expected = _spread(support.reshape(rows, cols), step_px, (height, width))
    shown = np.zeros((height, width), np.int32)
    for sample in samples:
        shown += _channel_max(cv2.absdiff(sample, reference)) <= tolerance
    ys, xs = np.nonzero(2 * shown < expected)
    if len(ys):
        reference[ys, xs] = _road_colours(np.ascontiguousarray(samples[:, ys, xs]), tolerance)[0]
    # Colour decides which frames show the road: a blue car can be as bright as it.
    total = np.zeros(samples.shape[1:], np.float32)
    seen = np.zeros((height, width), np.float32)
    for sample in samples:
        mask = (_channel_max(cv2.absdiff(sample, reference)) <= tolerance).astype(np.uint8)
        cv2.accumulate(sample.astype(np.float32), total, mask=mask)
        seen += mask
    road = (total / np.maximum(seen, 1.0)[..., None]).astype(np.uint8)
    unseen = seen == 0
    if unseen.any():
        road[unseen] = np.median(samples[:, unseen], axis=0).astype(np.uint8)
    return road


def _road_colours(pixels: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """For (K, N, 3) samples of N pixels, each pixel's road colour (N, 3) and how many
    samples (N,) show it: the colour seen most often outside its longest spell."""
    count, n = pixels.shape[:2]
    best_score = np.full(n, -1, np.int64)
    best = np.zeros(n, np.int64)
    best_support = np.zeros(n, np.int32)
    for k in range(count):
        # OpenCV on uint8 (K rows of N pixels): several times faster than numpy here.
        colour_diff = _channel_max(cv2.absdiff(pixels, np.tile(pixels[k], (count, 1, 1))))
        close = colour_diff <= tolerance
        support = close.sum(axis=0, dtype=np.int32)
        score = (support - _longest_run(close)).astype(np.int64) * (count + 1) + support
        better = score > best_score
        best_score[better] = score[better]
        best[better] = k
        best_support[better] = support[better]
    return pixels[best, np.arange(n)], best_support


def _spread(block_values: np.ndarray, step_px: int, shape: tuple[int, int]) -> np.ndarray:
    """Each value of a (rows, cols, ...) grid over the ``step_px`` square it stands for."""
    spread = np.repeat(np.repeat(block_values, step_px, axis=0), step_px, axis=1)
    return np.ascontiguousarray(spread[: shape[0], : shape[1]])


def _longest_run(flags: np.ndarray) -> np.ndarray:
    """(H, W) the longest run of consecutive True along axis 0 of (K, H, W) flags."""
    run = np.zeros(flags.shape[1:], np.int32)
    longest = np.zeros(flags.shape[1:], np.int32)
    for row in flags:
        run = (run + 1) * row
        np.maximum(longest, run, out=longest)
    return longest


def join_stacked_parts(
    stats: np.ndarray,
    *,
    max_flatness: float = 0.4,
    min_overlap: float = 0.6,
    min_width_ratio: float = 0.8,
    max_edge_offset: float = 0.15,
    max_gap: float = 0.5,
) -> np.ndarray:
    """Which blob each blob belongs to: parts stacked one above the other join up.

    A grey vehicle on a grey road often falls apart into its roof and the dark strip
    of bumper and shadow where it meets the road; the strip alone is never a vehicle
    (no vehicle is that flat), and without it the ground point sits metres too far.
    A tall vehicle falls apart into its upper and lower body: a blob as wide as the one
    right below it, edge over edge, is that vehicle's upper part. A vehicle behind it
    stands farther away, so perspective draws it narrower. Alone, the upper part's
    bottom edge is metres above the road, and perspective inflates its speed.

    Args:
        stats: (N, 5) ``cv2.connectedComponentsWithStats`` rows (x, y, w, h, area).

    Returns:
        (N,) the index of the group's root blob for each blob (its own when alone).
    """
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    parent = np.arange(len(stats))
    for j in np.nonzero(h <= max_flatness * w)[0]:
        overlap = np.minimum(x + w, x[j] + w[j]) - np.maximum(x, x[j])
        gap = y[j] - (y + h)
        above = (
            (overlap >= min_overlap * np.minimum(w, w[j]))
            & (gap >= -h[j])
            & (gap <= h)
            & (h > max_flatness * w)
            & (w[j] <= 1.5 * w)
        )
        above[j] = False
        if above.any():
            candidates = np.nonzero(above)[0]
            parent[j] = candidates[np.argmax(overlap[candidates])]
    upper, lower = np.nonzero(_upper_parts(stats, min_width_ratio, max_edge_offset, max_gap))
    for top, bottom in zip(upper.tolist(), lower.tolist(), strict=True):
        _union(parent, bottom, top)
    return np.array([_root(parent, k) for k in range(len(stats))])


def _upper_parts(
    stats: np.ndarray, min_width_ratio: float, max_edge_offset: float, max_gap: float
) -> np.ndarray:
    """(N, N): whether blob ``j`` (row) sits right above blob ``i`` (column), as wide
    and edge over edge: the upper part of the same vehicle."""
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    xj, wj, hj = x[:, None], w[:, None], h[:, None]
    gap = y[None, :] - (y + h)[:, None]
    tolerance = max_edge_offset * w[None, :]
    above = (
        (wj >= min_width_ratio * w)
        & (wj <= w / min_width_ratio)
        & (np.abs(x - xj) <= tolerance)
        & (np.abs(x + w - xj - wj) <= tolerance)
        & (gap >= -hj / 2)
        & (gap <= max_gap * np.minimum(h, hj))
    )
    np.fill_diagonal(above, False)
    return above


def sits_on_another(
    xyxy: np.ndarray,
    others_xyxy: np.ndarray,
    *,
    min_overlap: float = 0.7,
    max_gap: float = 0.6,
    min_width_ratio: float = 0.8,
) -> np.ndarray:
    """(N,) whether each of (N, 4) boxes sits right on top of one of (M, 4) others.

    A box whose bottom edge touches the top of a box below it, over at least as wide a
    stretch, is most likely the upper part of a vehicle that fell apart: its bottom
    edge is not where the vehicle meets the road. Gaps are relative to the box height.
    """
    if len(xyxy) == 0 or len(others_xyxy) == 0:
        return np.zeros(len(xyxy), dtype=bool)
    a, b = xyxy[:, None, :], others_xyxy[None, :, :]
    width, height = a[..., 2] - a[..., 0], a[..., 3] - a[..., 1]
    overlap = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    gap = b[..., 1] - a[..., 3]
    under = (
        (b[..., 3] > a[..., 3])
        & (overlap >= min_overlap * width)
        & (b[..., 2] - b[..., 0] >= min_width_ratio * width)
        & (gap >= -0.5 * height)
        & (gap <= max_gap * height)
    )
    return under.any(axis=1)


def _root(parent: np.ndarray, k: int) -> int:
    while parent[k] != k:
        k = int(parent[k])
    return k


def _union(parent: np.ndarray, a: int, b: int) -> None:
    root_a, root_b = _root(parent, a), _root(parent, b)
    if root_a != root_b:
        parent[max(root_a, root_b)] = min(root_a, root_b)


class OnnxDetector:
    """A YOLO-style ONNX model run through OpenCV DNN (output (1, 4 + classes, anchors)).

    ``class_map`` maps the model's class ids to this project's `VEHICLE_CLASSES` index;
    classes not in it (people, bicycles) are dropped.
    """

    def __init__(
        self,
        model_path: str | Path,
        class_map: dict[int, int],
        *,
        input_size_px: int = 640,
        score_threshold: float = 0.35,
        nms_threshold: float = 0.5,
    ) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise DetectorConfigError(f"detector model {path} does not exist; fix the model path")
        try:
            self.net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise DetectorConfigError(f"detector model {path} cannot be loaded: {exc}")
        self.class_map = class_map
        self.input_size_px = input_size_px
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold

    def detect(self, image: np.ndarray) -> Detections:
        height, width = image.shape[:2]
        size = self.input_size_px
        blob = cv2.dnn.blobFromImage(image, 1 / 255.0, (size, size), swapRB=True, crop=False)
        self.net.setInput(blob)
        output = np.asarray(self.net.forward())
        return self._parse(output, width / size, height / size)

    def _parse(self, output: np.ndarray, sx: float, sy: float) -> Detections:
        rows = output[0].T if output.shape[1] < output.shape[2] else output[0]
        scores = rows[:, 4:]
        class_ids = np.argmax(scores, axis=1)
        best = scores[np.arange(len(rows)), class_ids]
        wanted = np.isin(class_ids, list(self.class_map)) & (best >= self.score_threshold)
        rows, class_ids, best = rows[wanted], class_ids[wanted], best[wanted]
        if len(rows) == 0:
            return Detections.empty()
        cx, cy, w, h = rows[:, 0] * sx, rows[:, 1] * sy, rows[:, 2] * sx, rows[:, 3] * sy
        xyxy = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        boxes = [[float(a), float(b), float(c - a), float(d - b)] for a, b, c, d in xyxy]
        keep = np.array(
            cv2.dnn.NMSBoxes(boxes, best.tolist(), self.score_threshold, self.nms_threshold),
            dtype=np.int64,
        ).reshape(-1)
        mapped = np.array([self.class_map[int(c)] for c in class_ids[keep]], dtype=np.int64)
        return Detections(xyxy[keep], best[keep].astype(np.float64), mapped)


def classify_vehicle(width_m: float, height_m: float) -> str:
    """A vehicle class from its box: road width of the bottom edge and apparent height.

    ``height_m`` is the box height in pixels scaled by the metres-per-pixel of its
    bottom edge. Both include the sides and roof seen in perspective, so the bounds
    are wider than the vehicles' true sizes; buses and trucks, alike in size, are
    both reported as ``bus`` unless an appearance model is configured.
    """
    if width_m < 1.5 and height_m < 2.3:
        return "motorcycle"
    if width_m >= 2.75 or height_m >= 3.5:
        return "bus"
    if width_m < 1.95:
        return "rickshaw"
    if height_m >= 2.6:
        return "van"
    return "car"
