"""The only module that knows every stage: frames → vehicles → tracks → findings → events.

`Pipeline` is one stateful instance per camera stream; `run_pipeline` drives it over a
`FrameSource`. Memory stays flat: frames are kept only in a ring buffer long enough
for a clip's pre-roll, plus the few frames each live track has pinned as evidence.
Each event is finalised (evidence written, plate read, ``on_event`` called) about
``post_roll_s`` after it happened, so callers persist incrementally.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from enforcement.camera_config import CameraConfig
from enforcement.detection import (
    BackgroundDetector,
    Detections,
    classify_vehicle,
    sits_on_another,
)
from enforcement.detectors.base import (
    Detector,
    Finding,
    Observation,
    PinnedFrame,
    SpeedMeasurement,
    TrackHistory,
    jumped,
)
from enforcement.detectors.lane import LaneDetector
from enforcement.detectors.red_light import RedLightDetector
from enforcement.detectors.site import Site
from enforcement.detectors.speed import SpeedDetector
from enforcement.events import VEHICLE_CLASSES, PlateReading, TrackBox, ViolationEvent
from enforcement.evidence import DataBar, EvidenceFrame, sharpness, write_event_evidence
from enforcement.geometry import ValidatedCamera, validate_config
from enforcement.overlay import draw_config, draw_tracks
from enforcement.signals import PhaseLog, SignalHeadMonitor, SignalReading, SignalSource
from enforcement.tracking import Tracker
from enforcement.video import Frame, FrameSource

log = logging.getLogger(__name__)


class PlateReader(Protocol):
    """Reads a track's plate from a few of its best frames (see ``ocr``)."""

    def read_track(
        self,
        observations: list[tuple[np.ndarray, tuple[float, float, float, float]]],
        *,
        crop_dir: Path | None,
    ) -> PlateReading: ...


class VehicleDetector(Protocol):
    def detect(self, image: np.ndarray) -> Detections: ...


@dataclass(frozen=True)
class PipelineSettings:
    pre_roll_s: float = 3.0
    post_roll_s: float = 3.0
    # An event waits at most this long after it happened for its track to end (the
    # best plate frame often comes last), then is finalised anyway.
    max_wait_s: float = 8.0
    clip_max_width_px: int = 1280
    plate_candidates: int = 4
    write_clip: bool = True
    # Off only to time detection alone (benchmarks): events then carry no files.
    write_evidence: bool = True
    warmup_s: float = 2.0
    # Files are pre-scanned instead, over longer than a red phase: a queue that stands
    # through the whole span cannot be told from the road.
    prime_frames: int = 48
    prime_span_s: float = 30.0
    # A track that has moved this far is a vehicle, not the ghost of one: the
    # background is not learnt under it while it stands still.
    hold_after_m: float = 2.0
    # Keep every track's boxes in its summary (benchmarks match them to ground truth).
    keep_track_boxes: bool = False


@dataclass
class PipelineStats:
    frames: int = 0
    corrupt_frames: int = 0
    dropped_frames: int = 0
    wrong_size_frames: int = 0
    tracks: int = 0
    events: int = 0
    elapsed_s: float = 0.0
    # Of ``elapsed_s``: the one-off pre-scan that learns the empty road from a file.
    prime_s: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def steady_fps(self) -> float:
        """Frames per second once primed: what a long clip or a live stream sees."""
        streaming_s = self.elapsed_s - self.prime_s
        return self.frames / streaming_s if streaming_s > 0 else 0.0


@dataclass(frozen=True)
class TrackSummary:
    """One vehicle's track as the pipeline saw it, for reports and benchmarks."""

    track_id: int
    first_frame: int
    last_frame: int
    frames: int
    vehicle_class: str
    lanes: tuple[str, ...]
    first_ground_m: tuple[float, float]
    last_ground_m: tuple[float, float]
    first_xyxy: tuple[float, float, float, float]
    last_xyxy: tuple[float, float, float, float]
    speed: SpeedMeasurement | None
    violations: tuple[str, ...]
    boxes: tuple[TrackBox, ...] = ()


@dataclass
class PipelineResult:
    events: list[ViolationEvent]
    stats: PipelineStats
    tracks: list[TrackSummary]


@dataclass
class _Pending:
    finding: Finding
    track: TrackHistory
    pins: dict[str, PinnedFrame]
    clip: list[np.ndarray]
    clip_start: tuple[int, datetime] | None
    signal: SignalReading | None
    # The frame index of the clip's last frame (-1 before the first).
    clip_last_index: int = -1


@dataclass
class _PlateCandidate:
    area_px: float
    frame: PinnedFrame


@dataclass
class _Live:
    history: TrackHistory
    widths_m: list[float] = field(default_factory=list)
    heights_m: list[float] = field(default_factory=list)
    plates: list[_PlateCandidate] = field(default_factory=list)
    lanes: list[str] = field(default_factory=list)
    first: Observation | None = None
    ended: bool = False
    boxes: list[TrackBox] = field(default_factory=list)
    class_votes: list[str] = field(default_factory=list)
    # Where the track was when its ground point last jumped (or began): it has driven
    # in once it has moved far enough from there.
    since_jump_m: tuple[float, float] | None = None
    driven_in: bool = False


def signal_source_for(config: CameraConfig) -> SignalSource | None:
    """The camera's signal source: its phase log if configured, else its head ROI."""
    phase_log = config.extra.get("signal_phase_log")
    if phase_log:
        return PhaseLog.load(phase_log)
    if config.signal is not None:
        return SignalHeadMonitor(config.signal.roi_px, layout=config.signal.layout)
    return None


class Pipeline:
    def __init__(
        self,
        config: CameraConfig,
        *,
        out_dir: Path,
        fps: float,
        plate_reader: PlateReader | None = None,
        on_event: Callable[[ViolationEvent], None] | None = None,
        detector: VehicleDetector | None = None,
        signal_source: SignalSource | None = None,
        settings: PipelineSettings | None = None,
        camera: ValidatedCamera | None = None,
    ) -> None:
        self.config = config
        # A digest of the whole configuration, stamped on every event (hashed once).
        self._config_version = config.version
        self.camera = camera or validate_config(config)
        self.site = Site.from_camera(self.camera)
        self.out_dir = Path(out_dir)
        self.fps = fps
        self.plate_reader = plate_reader
        self.on_event = on_event
        self.settings = settings or PipelineSettings()
        road = np.vstack([np.asarray(lane.polygon_px) for lane in config.lanes])
        self.detector = detector or BackgroundDetector(
            config.resolution, self.camera.calibration, roi_polygon_px=_hull(road)
        )
        self.tracker = Tracker(
            max_missed_frames=max(3, round(0.5 * fps)), frame_size=config.resolution
        )
        self.signal_source = (
            signal_source if signal_source is not None else signal_source_for(config)
        )
        self.detectors: list[Detector] = [
            SpeedDetector(self.site, config),
            RedLightDetector(self.site, config),
            LaneDetector(self.site, config),
        ]
        self.events: list[ViolationEvent] = []
        self.summaries: list[TrackSummary] = []
        self.last_tracked = Detections.empty()
        self._live: dict[int, _Live] = {}
        self._ended: dict[int, _Live] = {}
        self._ring: deque[Frame] = deque(maxlen=max(2, int(self.settings.pre_roll_s * fps) + 2))
        self._pending: list[_Pending] = []
        # Frames scaled to clip size, by frame index, while a pending clip may want them.
        self._scaled: dict[int, np.ndarray] = {}
        self._signal: SignalReading | None = None
        self._epoch: datetime | None = None
        width, height = config.resolution
        self._clip_scale = min(1.0, self.settings.clip_max_width_px / width)
        self._frame_size = (width, height)
        self._warmup_frames = max(1, round(self.settings.warmup_s * fps))
        self._warmup: list[Frame] | None = [] if self.settings.warmup_s > 0 else None

    # -- per frame ---------------------------------------------------------------
    def process(self, frame: Frame) -> list[ViolationEvent]:
        """Run one frame through every stage; returns the events finalised at it.

        The first ``warmup_s`` of frames are held back until the background model has
        been primed from them, then processed in order.
        """
        if self._warmup is None:
            return self._process(frame)
        self._warmup.append(frame)
        if len(self._warmup) < self._warmup_frames:
            return []
        return self._flush_warmup()

    def prime_from(self, source: object) -> None:
        """Learn the empty road from frames spread over the clip's first ``prime_span_s``.

        Only seekable files can be pre-scanned; a live stream keeps the buffered warm-up.
        """
        sample = getattr(source, "sample_images", None)
        prime = getattr(self.detector, "prime", None)
        work_size = getattr(self.detector, "work_size", None)
        if sample is None or prime is None or work_size is None:
            return
        images = sample(count=self.settings.prime_frames, span_s=self.settings.prime_span_s,
                        size=work_size)  # fmt: skip
        if images:
            prime(images)
            self._warmup = None

    def _flush_warmup(self) -> list[ViolationEvent]:
        frames, self._warmup = self._warmup or [], None
        prime = getattr(self.detector, "prime", None)
        if prime is not None:
            prime([self._detector_input(f) for f in frames[::2]])
        events: list[ViolationEvent] = []
        for frame in frames:
            events += self._process(frame)
        return events

    def _process(self, frame: Frame) -> list[ViolationEvent]:
        if self._epoch is None:
            self._epoch = frame.captured_at - timedelta(seconds=frame.timestamp_s)
        if self.signal_source is not None:
            self._signal = self.signal_source.update(frame.timestamp_s, frame)
        detections = self.detector.detect(self._detector_input(frame))
        tracked = self.tracker.update(detections)
        self.last_tracked = tracked
        findings: list[Finding] = []
        if len(tracked):
            ground_px = tracked.ground_px
            ground_m = self.camera.calibration.image_to_road(ground_px)
            stacked = sits_on_another(tracked.xyxy, detections.xyxy)
            for i, track_id in enumerate(tracked.tracker_id.tolist()):
                x0, y0, x1, y1 = (float(v) for v in tracked.xyxy[i])
                findings += self._observe(
                    frame,
                    int(track_id),
                    (x0, y0, x1, y1),
                    ground_px[i],
                    ground_m[i],
                    stacked=bool(stacked[i]),
                )
                class_id = int(tracked.class_id[i])
                if 0 <= class_id < len(VEHICLE_CLASSES):
                    self._live[int(track_id)].class_votes.append(VEHICLE_CLASSES[class_id])
        self._hold_arrived_vehicles(tracked)
        for track_id in self.tracker.finished_ids:
            findings += self._end_track(track_id)
        # Frames by reference, as decoded (no copy, no colour conversion on the hot
        # path); a frame is scaled down to clip size only once an event's clip needs it.
        self._ring.append(frame)
        for finding in findings:
            self._start_event(finding)
        for pending in self._pending:
            in_post_roll = (
                frame.timestamp_s <= pending.finding.timestamp_s + self.settings.post_roll_s
            )
            if in_post_roll and pending.clip and pending.clip_last_index < frame.index:
                pending.clip.append(self._scaled_clip_frame(frame))
                pending.clip_last_index = frame.index
        return self._finalise_due(frame.timestamp_s)

    def close(self) -> list[ViolationEvent]:
        """End of stream: finish every track and finalise every pending event."""
        events = self._flush_warmup() if self._warmup is not None else []
        findings: list[Finding] = []
        for track_id in self.tracker.finish_all():
            findings += self._end_track(track_id)
        for track_id in list(self._live):
            findings += self._end_track(track_id)
        for finding in findings:
            self._start_event(finding)
        return events + self._finalise_due(float("inf"))

    # -- tracks ------------------------------------------------------------------
    def _observe(
        self,
        frame: Frame,
        track_id: int,
        xyxy: tuple[float, float, float, float],
        ground_px: np.ndarray,
        ground_m: np.ndarray,
        *,
        stacked: bool = False,
    ) -> list[Finding]:
        live = self._live.get(track_id)
        if live is None:
            live = self._live[track_id] = _Live(TrackHistory(track_id))
        history = live.history
        point_px = (float(ground_px[0]), float(ground_px[1]))
        lane = self.site.lane_at(point_px)
        obs = Observation(
            frame.index,
            frame.timestamp_s,
            xyxy,
            point_px,
            (float(ground_m[0]), float(ground_m[1])),
            lane,
            self._signal,
            stacked,
        )
        history.observations.append(obs)
        if live.first is None:
            live.first = obs
        if self.settings.keep_track_boxes:
            live.boxes.append(TrackBox(frame.index, frame.timestamp_s, xyxy))
        if lane is not None and (not live.lanes or live.lanes[-1] != lane):
            live.lanes.append(lane)
        pinned = PinnedFrame(frame, xyxy, self._signal)
        history.current = pinned
        self._update_class(live, xyxy)
        self._update_plate_candidates(live, pinned)
        findings: list[Finding] = []
        for detector in self.detectors:
            findings += detector.observe(history)
        return findings

    def _hold_arrived_vehicles(self, tracked: Detections) -> None:
        """Tell the detector which boxes are vehicles that drove in (not ghosts), so a
        queue standing through a red is not learnt as road."""
        hold = getattr(self.detector, "hold", None)
        if hold is None:
            return
        arrived = [
            i
            for i, track_id in enumerate(tracked.tracker_id.tolist())
            if self._update_driven_in(self._live[int(track_id)])
        ]
        hold(tracked.xyxy[arrived])

    def _update_driven_in(self, live: _Live) -> bool:
        """Note, and return, whether the track has moved ``hold_after_m`` without a jump no vehicle makes.

        A track jumps when a passing vehicle leaves a ghost it was merged with and the
        track stays on the ghost: that ghost must not be held.
        """
        observations = live.history.observations
        here = observations[-1].ground_m
        if live.since_jump_m is None:
            live.since_jump_m = here
        elif len(observations) > 1 and jumped(observations[-2], observations[-1]):
            live.since_jump_m, live.driven_in = here, False
        start = live.since_jump_m
        moved_m = float(np.hypot(here[0] - start[0], here[1] - start[1]))
        live.driven_in = live.driven_in or moved_m >= self.settings.hold_after_m
        return live.driven_in

    def _update_class(self, live: _Live, xyxy: tuple[float, float, float, float]) -> None:
        if live.class_votes:
            # A classifying detector (ONNX) decides by majority over the track.
            live.history.vehicle_class = max(set(live.class_votes), key=live.class_votes.count)
            return
        x0, y0, x1, y1 = xyxy
        width, height = self._frame_size
        if x0 <= 2 or x1 >= width - 2 or y1 >= height - 2:
            return  # its bottom edge is cut by the frame: its width says nothing
        left, right = self.camera.calibration.image_to_road([[x0, y1], [x1, y1]])
        width_m = float(np.linalg.norm(right - left))
        live.widths_m.append(width_m)
        # A long vehicle near the camera often reaches past the top of the frame: its
        # width still counts, its height does not.
        if y0 > 2:
            metres_per_px = width_m / max(x1 - x0, 1.0)
            live.heights_m.append((y1 - y0) * metres_per_px)
        # statistics.median: a tenth of numpy's per-call cost on these short lists.
        height_m = statistics.median(live.heights_m) if live.heights_m else 0.0
        live.history.vehicle_class = classify_vehicle(statistics.median(live.widths_m), height_m)

    def _update_plate_candidates(self, live: _Live, pinned: PinnedFrame) -> None:
        x0, y0, x1, y1 = pinned.xyxy
        width, height = self._frame_size
        area = (x1 - x0) * (y1 - y0)
        if x0 <= 2 or y0 <= 2 or x1 >= width - 2 or y1 >= height - 2:
            # A box cut by the frame edge may have lost its plate: last resort only.
            area *= 0.1
        plates = live.plates
        if len(plates) < self.settings.plate_candidates or area > plates[-1].area_px:
            plates.append(_PlateCandidate(area, pinned))
            plates.sort(key=lambda c: -c.area_px)
            del plates[self.settings.plate_candidates :]

    def _end_track(self, track_id: int) -> list[Finding]:
        live = self._live.pop(track_id, None)
        if live is None:
            return []
        live.ended = True
        history = live.history
        history.current = None
        findings: list[Finding] = []
        for detector in self.detectors:
            findings += detector.finish(history)
        last = history.last
        first = live.first or last
        self.summaries.append(
            TrackSummary(
                track_id=track_id,
                first_frame=first.frame_index,
                last_frame=last.frame_index,
                frames=len(history.observations),
                vehicle_class=history.vehicle_class,
                lanes=tuple(live.lanes),
                first_ground_m=first.ground_m,
                last_ground_m=last.ground_m,
                first_xyxy=first.xyxy,
                last_xyxy=last.xyxy,
                speed=history.speed,
                violations=tuple(sorted({f.kind for f in findings} | _fired_kinds(history))),
                boxes=tuple(live.boxes),
            )
        )
        # Kept (with its pinned frames) only while an event of it is pending.
        self._ended[track_id] = live
        return findings

    # -- events ------------------------------------------------------------------
    def _start_event(self, finding: Finding) -> None:
        live = self._live.get(finding.track_id) or self._ended[finding.track_id]
        history = live.history
        pins = {key: history.pins[key] for key, _ in finding.evidence if key in history.pins}
        cutoff = finding.timestamp_s - self.settings.pre_roll_s
        pre_roll = [frame for frame in self._ring if frame.timestamp_s >= cutoff]
        clip: list[np.ndarray] = []
        if self.settings.write_evidence and self.settings.write_clip:
            # Held at clip size, not as full frames, until the clip is written.
            clip = [self._scaled_clip_frame(frame) for frame in pre_roll]
        self._pending.append(
            _Pending(
                finding,
                history,
                pins,
                clip,
                (pre_roll[0].index, pre_roll[0].captured_at) if pre_roll else None,
                self._signal,
                clip_last_index=pre_roll[-1].index if pre_roll else -1,
            )
        )

    def _finalise_due(self, now_s: float) -> list[ViolationEvent]:
        done: list[ViolationEvent] = []
        keep: list[_Pending] = []
        for pending in self._pending:
            t = pending.finding.timestamp_s
            track_ended = pending.track.track_id not in self._live
            if now_s >= t + self.settings.post_roll_s and (
                track_ended or now_s >= t + self.settings.max_wait_s
            ):
                done.append(self._finalise(pending))
            else:
                keep.append(pending)
        self._pending = keep
        oldest_clip_frame = min((p.clip_start[0] for p in keep if p.clip_start), default=None)
        for index in [
            i for i in self._scaled if oldest_clip_frame is None or i < oldest_clip_frame
        ]:
            del self._scaled[index]
        wanted = {p.track.track_id for p in self._pending}
        for track_id in [t for t in self._ended if t not in wanted]:
            del self._ended[track_id]
        return done

    def _plate_frames(self, track_id: int) -> list[PinnedFrame]:
        live = self._live.get(track_id) or self._ended.get(track_id)
        return [c.frame for c in live.plates] if live else []

    def _finalise(self, pending: _Pending) -> ViolationEvent:
        finding = pending.finding
        assert self._epoch is not None
        occurred_at = self._epoch + timedelta(seconds=finding.timestamp_s)
        folder = self.out_dir / (
            f"{self.config.code}_{finding.frame_index:07d}_t{finding.track_id}_{finding.kind}"
        )
        bar = DataBar(
            camera_code=self.config.code,
            location=self.config.location or self.config.name,
            violation=finding.kind,
            speed_kmh=finding.measured.get("speed_kmh"),
            limit_kmh=self.config.speed_limit_kmh,
        )
        plate_frames = self._plate_frames(finding.track_id)
        evidence = []
        # Whole frames are converted to colour here, and only for evidence or a plate.
        if self.settings.write_evidence:
            best = _best_plate_frame(plate_frames)
            evidence = write_event_evidence(
                folder,
                bar,
                _evidence_frames(finding, pending.pins),
                EvidenceFrame("plate", best.frame_index, best.captured_at, best.image, best.xyxy)
                if best
                else None,
                pending.clip,
                self.fps,
                pending.clip_start,
            )
        plate = None
        if self.plate_reader is not None and plate_frames:
            plate = self.plate_reader.read_track(
                [(p.image, p.xyxy) for p in plate_frames], crop_dir=folder
            )
        history = pending.track
        boxes = tuple(TrackBox(o.frame_index, o.timestamp_s, o.xyxy) for o in history.observations)
        event = ViolationEvent(
            kind=finding.kind,
            camera_code=self.config.code,
            track_id=finding.track_id,
            occurred_at=occurred_at,
            frame_index=finding.frame_index,
            measured=dict(finding.measured),
            vehicle_class=history.vehicle_class,
            boxes=boxes,
            evidence=tuple(evidence),
            plate=plate,
            calibration_version=self._config_version,
            calibration_error_m=round(self.camera.calibration.reprojection_error_m, 4),
        )
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def annotate(self, image: np.ndarray) -> np.ndarray:
        """The camera configuration and the current tracks drawn over ``image``."""
        canvas = draw_config(image, self.camera)
        labels = []
        for xyxy, track_id in zip(
            self.last_tracked.xyxy, self.last_tracked.tracker_id, strict=True
        ):
            live = self._live.get(int(track_id))
            label = ""
            if live is not None:
                label = live.history.vehicle_class
                if live.history.speed is not None and live.history.speed.valid:
                    label += f" {live.history.speed.speed_kmh:.0f} km/h"
            labels.append((int(track_id), tuple(float(v) for v in xyxy), label))
        draw_tracks(canvas, labels)  # type: ignore[arg-type]
        return canvas

    def _scaled_clip_frame(self, frame: Frame) -> np.ndarray:
        """``frame`` at clip size, scaled once however many pending clips share it."""
        if self._clip_scale >= 1.0:
            return frame.image
        scaled = self._scaled.get(frame.index)
        if scaled is None:
            width, height = self._frame_size
            size = (round(width * self._clip_scale), round(height * self._clip_scale))
            scaled = self._scaled[frame.index] = frame.resized(size, cv2.INTER_LINEAR)
        return scaled

    def _detector_input(self, frame: Frame) -> np.ndarray:
        """What the vehicle detector looks at: the frame at the detector's working size
        when it has one (scaled before colour conversion: see `enforcement.frames`)."""
        work_size = getattr(self.detector, "work_size", None)
        return frame.image if work_size is None else frame.resized(work_size)


def _fired_kinds(history: TrackHistory) -> set[str]:
    return {key.split(":")[0] for key in history.fired}


def _evidence_frames(finding: Finding, pins: dict[str, PinnedFrame]) -> list[EvidenceFrame]:
    """The frames a finding names as its proof, in its order, with their signal state."""
    frames = []
    for key, role in finding.evidence:
        pin = pins.get(key)
        if pin is None:
            continue
        frames.append(
            EvidenceFrame(
                role,
                pin.frame_index,
                pin.captured_at,
                pin.image,
                pin.xyxy,
                pin.signal.state if pin.signal else None,
                pin.signal.time_into_red_s if pin.signal else None,
            )
        )
    return frames


def _best_plate_frame(frames: list[PinnedFrame]) -> PinnedFrame | None:
    """Among the largest boxes, the sharpest one."""
    if not frames:
        return None
    return max(frames[:3], key=lambda p: sharpness(_box_region(p)))


def _box_region(pin: PinnedFrame) -> np.ndarray:
    """The pixels of a pinned frame inside its box (converting only those)."""
    x0, y0, x1, y1 = (int(round(v)) for v in pin.xyxy)
    return pin.frame.region(x0, y0, x1, y1)


def _hull(points_px: np.ndarray) -> np.ndarray:
    return cv2.convexHull(points_px.astype(np.float32)).reshape(-1, 2)


def run_pipeline(
    source: FrameSource | Iterable[Frame],
    config: CameraConfig,
    *,
    out_dir: Path,
    plate_reader: PlateReader | None = None,
    on_event: Callable[[ViolationEvent], None] | None = None,
    progress: Callable[[Frame], None] | None = None,
    **kwargs,
) -> PipelineResult:
    """Process a whole source; see `Pipeline` for ``kwargs`` (detector, settings, ...)."""
    fps = getattr(source, "fps", None) or config.fps
    pipeline = Pipeline(
        config, out_dir=out_dir, fps=fps, plate_reader=plate_reader, on_event=on_event, **kwargs
    )
    started = time.perf_counter()
    pipeline.prime_from(source)
    stats = PipelineStats(prime_s=time.perf_counter() - started)
    for frame in source:
        pipeline.process(frame)
        stats.frames += 1
        if progress is not None:
            progress(frame)
    pipeline.close()
    stats.elapsed_s = time.perf_counter() - started
    source_stats = getattr(source, "stats", None)
    if source_stats is not None:
        stats.corrupt_frames = source_stats.corrupt_frames
        stats.dropped_frames = source_stats.dropped_frames
        stats.wrong_size_frames = source_stats.wrong_size_frames
    stats.tracks = len(pipeline.summaries)
    stats.events = len(pipeline.events)
    return PipelineResult(pipeline.events, stats, pipeline.summaries)


def track_summaries_text(tracks: list[TrackSummary]) -> list[str]:
    """One line per track: ids, frames, class, lanes, speed (or why not), violations."""
    lines = []
    for t in sorted(tracks, key=lambda t: t.first_frame):
        if t.speed is None:
            speed = "no zone"
        elif t.speed.valid:
            speed = f"{t.speed.speed_kmh:.1f}±{t.speed.uncertainty_kmh:.1f} km/h"
        else:
            speed = f"unmeasured ({t.speed.rejected_reason})"
        lines.append(
            f"track {t.track_id:>4}  frames {t.first_frame:>5}-{t.last_frame:<5} "
            f"{t.vehicle_class:<10} lanes {','.join(t.lanes) or '-':<8} {speed}"
            + (f"  violations: {', '.join(t.violations)}" if t.violations else "")
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run a clip through the engine without Django and report its tracks and events."""
    import argparse
    from datetime import UTC

    from enforcement.video import open_source

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("camera_json", type=Path)
    parser.add_argument("video")
    parser.add_argument("--out-dir", type=Path, required=True, help="evidence folder")
    parser.add_argument("--annotate-frame", type=int, help="save this frame annotated")
    parser.add_argument("--annotate-out", type=Path, help="PNG path for --annotate-frame")
    args = parser.parse_args(argv)
    config = CameraConfig.load(args.camera_json)
    source = open_source(args.video, start_time=datetime.now(UTC), expected_size=config.resolution)
    pipeline = Pipeline(config, out_dir=args.out_dir, fps=source.fps)
    pipeline.prime_from(source)
    for frame in source:
        pipeline.process(frame)
        if frame.index == args.annotate_frame and args.annotate_out is not None:
            args.annotate_out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(args.annotate_out), pipeline.annotate(frame.image))
    pipeline.close()
    print(f"{source.stats.frames} frames, {source.stats.corrupt_frames} corrupt, "
          f"{source.stats.dropped_frames} dropped, {len(pipeline.summaries)} tracks")  # fmt: skip
    for line in track_summaries_text(pipeline.summaries):
        print(line)
    for event in pipeline.events:
        print(f"event {event.kind} track {event.track_id} frame {event.frame_index} "
              f"{event.measured} ({len(event.evidence)} evidence files)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
