"""Stable track ids across frames and short occlusions.

Why not a library: ByteTrack left `supervision` in 0.26 (installed here: 0.31), the
`trackers` package that replaced it requires the non-headless ``opencv-python`` (which
conflicts with EasyOCR's headless build), and ``norfair`` pins numpy < 2. So this is a
small SORT-style tracker: constant-velocity box prediction, Hungarian matching on IoU
(with a centre-distance fallback for fast, small vehicles), confirmation after a few
hits, and coasting through short occlusions. When one blob splits into two (two
vehicles side by side that the foreground merged), the track goes on with the part whose
ground point continues its own, not with the part that overlaps its old box most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from enforcement.detection import Detections


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between boxes (N, 4) and (M, 4) as (N, M)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


@dataclass
class _Track:
    track_id: int
    xyxy: np.ndarray
    velocity: np.ndarray
    ground_px: np.ndarray
    hits: int = 1
    missed: int = 0
    confirmed: bool = False

    def predicted(self) -> np.ndarray:
        """The box moved on by its centre velocity; its size is kept (extrapolating
        growth makes a coasting box balloon until it matches anything)."""
        shift = self.velocity[:2] * (self.missed + 1)
        return self.xyxy + np.concatenate([shift, shift])

    def predicted_ground(self) -> np.ndarray:
        """The ground point moved on by the same velocity."""
        return self.ground_px + self.velocity[:2] * (self.missed + 1)


class Tracker:
    """Assigns a persistent ``tracker_id`` to each detection.

    Args:
        max_missed_frames: how long a track coasts unseen before it is finished.
        min_hits: detections needed before a track is reported (filters flicker).
        min_iou: the least overlap with the predicted box for a match.
    """

    def __init__(
        self,
        *,
        max_missed_frames: int = 12,
        min_hits: int = 3,
        min_iou: float = 0.1,
        frame_size: tuple[int, int] | None = None,
    ):
        self.max_missed_frames = max_missed_frames
        self.frame_size = frame_size
        self.min_hits = min_hits
        self.min_iou = min_iou
        self._tracks: list[_Track] = []
        self._next_id = 1
        self.finished_ids: list[int] = []

    @property
    def active_ids(self) -> list[int]:
        return [t.track_id for t in self._tracks if t.confirmed]

    def update(self, detections: Detections) -> Detections:
        """Match this frame's detections to tracks; return the confirmed ones with ids.

        ``finished_ids`` then lists confirmed tracks that ended at this frame.
        """
        self.finished_ids = []
        boxes = detections.xyxy
        ground = detections.ground_px
        predicted = np.array([t.predicted() for t in self._tracks]).reshape(-1, 4)
        matches: list[tuple[int, int]] = []
        if len(predicted) and len(boxes):
            cost = 1.0 - box_iou(predicted, boxes)
            # Small fast vehicles can jump past their own box between frames; allow a
            # match by centre distance relative to the box size when IoU is zero.
            centre_p = (predicted[:, :2] + predicted[:, 2:]) / 2
            centre_d = (boxes[:, :2] + boxes[:, 2:]) / 2
            size = np.maximum(predicted[:, 2] - predicted[:, 0], predicted[:, 3] - predicted[:, 1])
            size = np.maximum(size, 1.0)
            distance = np.linalg.norm(centre_p[:, None] - centre_d[None], axis=2) / size[:, None]
            cost = np.where((cost > 1.0 - self.min_iou) & (distance < 0.5), 0.95, cost)
            rows, cols = linear_sum_assignment(cost + self._ground_jump(ground, size))
            matches = [(r, c) for r, c in zip(rows, cols, strict=True) if cost[r, c] < 0.96]
        matched_tracks = {r for r, _ in matches}
        matched_dets = {c for _, c in matches}
        ids = np.zeros(len(boxes), dtype=np.int64)
        for r, c in matches:
            track = self._tracks[r]
            centre_shift = (boxes[c, :2] + boxes[c, 2:] - track.xyxy[:2] - track.xyxy[2:]) / 2
            step = centre_shift / (track.missed + 1)
            track.velocity = step if track.hits == 1 else 0.6 * track.velocity + 0.4 * step
            track.xyxy = boxes[c].astype(np.float64)
            track.ground_px = ground[c].astype(np.float64)
            track.hits += 1
            track.missed = 0
            track.confirmed = track.confirmed or track.hits >= self.min_hits
            ids[c] = track.track_id if track.confirmed else 0
        survivors = []
        for i, track in enumerate(self._tracks):
            if i not in matched_tracks:
                track.missed += 1
                # A tentative track that vanishes at once was noise; a confirmed one
                # coasts through occlusions until it has been unseen too long.
                limit = self.max_missed_frames if track.confirmed else 2
                if track.missed > limit or self._left_frame(track):
                    if track.confirmed:
                        self.finished_ids.append(track.track_id)
                    continue
            survivors.append(track)
        for c in range(len(boxes)):
            if c not in matched_dets:
                box, point = boxes[c].astype(np.float64), ground[c].astype(np.float64)
                survivors.append(_Track(self._next_id, box, np.zeros(2), point))
                self._next_id += 1
        self._tracks = survivors
        return detections.with_tracker_id(ids)[ids > 0]

    def _ground_jump(self, ground_px: np.ndarray, size_px: np.ndarray) -> np.ndarray:
        """(tracks, detections): how far each detection's ground point lies from each
        track's predicted one, relative to the track's box size (at most 1).

        Added to the cost only to choose between detections, not to accept a match: a
        merged blob that splits overlaps the part it lost most, but the ground point,
        which speed is measured from, continues in the other.
        """
        expected = np.array([t.predicted_ground() for t in self._tracks]).reshape(-1, 2)
        jump = np.linalg.norm(expected[:, None] - ground_px[None], axis=2) / size_px[:, None]
        return np.minimum(jump, 1.0)

    def _left_frame(self, track: _Track) -> bool:
        """Whether a coasting track's predicted centre is outside the frame."""
        if self.frame_size is None:
            return False
        box = track.predicted()
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        width, height = self.frame_size
        return not (0 <= cx < width and 0 <= cy < height)

    def finish_all(self) -> list[int]:
        """End every track (end of stream); return the confirmed ids."""
        ids = [t.track_id for t in self._tracks if t.confirmed]
        self._tracks = []
        return ids
