"""Accuracy of the engine's detectors against the scene generator's ground truth.

    python -m benchmarks.detectors --presets junction,highway,urban-bus-lane \\
        --resolutions 720,1080 --seeds 1,2,3

Renders each scene (or reuses ``.cache/scenes/<preset>-<res>-s<seed>-<secs>s``), runs
the pipeline without OCR, matches tracks to true vehicles by box overlap, and scores
speed (error per vehicle that crossed the zone, coverage, false speeding) and the
red-light and lane violations (precision and recall, an event matching a true
violation of the same kind by the same vehicle within ``--tolerance-s``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from enforcement.camera_config import CameraConfig
from enforcement.events import ViolationEvent
from enforcement.pipeline import PipelineResult, PipelineSettings, TrackSummary, run_pipeline
from enforcement.video import open_source

LANE_KINDS = ("bus_lane", "no_entry", "solid_line", "wrong_way")
CACHE = Path(".cache/scenes")


def scene_dir(preset: str, resolution: int, seed: int, seconds: float, cache: Path) -> Path:
    """Render the scene unless the cache already holds it; return its folder."""
    folder = cache / f"{preset}-{resolution}-s{seed}-{seconds:g}s"
    if not (folder / "truth.json").is_file():
        from fixtures.scenes.render import render_scene

        render_scene(preset, resolution, seed, duration_s=seconds, out_dir=folder)
    return folder


def run_scene(folder: Path, out_dir: Path) -> tuple[PipelineResult, dict[str, Any], CameraConfig]:
    config = CameraConfig.load(folder / "camera.json")
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    source = open_source(
        folder / "clip.mp4",
        start_time=datetime.fromisoformat(truth["start_time"]),
        expected_size=config.resolution,
    )
    result = run_pipeline(
        source, config, out_dir=out_dir, settings=PipelineSettings(keep_track_boxes=True)
    )
    return result, truth, config


def _iou(a: list[float] | tuple[float, ...], b: list[float] | tuple[float, ...]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_tracks(tracks: list[TrackSummary], truth: dict[str, Any]) -> dict[int, int]:
    """Track id -> true vehicle id, by the vehicle whose boxes it overlaps most often."""
    boxes_by_frame: dict[int, list[tuple[int, list[float]]]] = defaultdict(list)
    for vehicle in truth["vehicles"]:
        for f in vehicle["frames"]:
            boxes_by_frame[f["index"]].append((vehicle["id"], f["box_px"]))
    matches: dict[int, int] = {}
    for track in tracks:
        votes: dict[int, int] = defaultdict(int)
        for box in track.boxes:
            candidates = boxes_by_frame.get(box.frame_index, [])
            scored = [(_iou(box.xyxy, b), vid) for vid, b in candidates]
            if scored:
                best_iou, vid = max(scored)
                if best_iou >= 0.3:
                    votes[vid] += 1
        if votes:
            vid, count = max(votes.items(), key=lambda kv: kv[1])
            if count >= 3:
                matches[track.track_id] = vid
    return matches


@dataclass
class Score:
    """Counts accumulated over scenes; figures are computed at the end."""

    vehicles: int = 0
    speed_errors: list[float] = field(default_factory=list)
    speed_over_limit: int = 0
    zone_vehicles: int = 0
    false_speeding: int = 0
    tp: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fp: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fn: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    notes: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.vehicles += other.vehicles
        self.speed_errors += other.speed_errors
        self.speed_over_limit += other.speed_over_limit
        self.zone_vehicles += other.zone_vehicles
        self.false_speeding += other.false_speeding
        for name in ("tp", "fp", "fn"):
            mine = getattr(self, name)
            for kind, count in getattr(other, name).items():
                mine[kind] += count
        self.notes += other.notes

    def precision(self, kinds: tuple[str, ...]) -> float:
        tp = sum(self.tp[k] for k in kinds)
        fp = sum(self.fp[k] for k in kinds)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, kinds: tuple[str, ...]) -> float:
        tp = sum(self.tp[k] for k in kinds)
        fn = sum(self.fn[k] for k in kinds)
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def mae(self) -> float:
        return float(np.mean(np.abs(self.speed_errors))) if self.speed_errors else float("nan")

    @property
    def max_err(self) -> float:
        return float(np.max(np.abs(self.speed_errors))) if self.speed_errors else float("nan")

    @property
    def coverage(self) -> float:
        return len(self.speed_errors) / self.zone_vehicles if self.zone_vehicles else 1.0


def score_scene(
    result: PipelineResult, truth: dict[str, Any], tolerance_s: float, label: str = ""
) -> Score:
    score = Score(vehicles=len(truth["vehicles"]))
    matches = match_tracks(result.tracks, truth)
    vehicles = {v["id"]: v for v in truth["vehicles"]}
    threshold = truth["enforcement_threshold_kmh"]
    tracks_of: dict[int, list[TrackSummary]] = defaultdict(list)
    for track in result.tracks:
        if track.track_id in matches:
            tracks_of[matches[track.track_id]].append(track)
    for vid, vehicle in vehicles.items():
        if not vehicle.get("crosses_zone"):
            continue
        score.zone_vehicles += 1
        measured = [t.speed for t in tracks_of.get(vid, []) if t.speed and t.speed.valid]
        if not measured:
            score.notes.append(f"{label} vehicle {vid} ({vehicle['class']}) not measured")
            continue
        best = max(measured, key=lambda s: s.points)
        error = best.speed_kmh - vehicle["zone_speed_kmh"]
        score.speed_errors.append(error)
        if abs(error) > max(3.0, 0.03 * vehicle["zone_speed_kmh"]):
            score.notes.append(
                f"{label} vehicle {vid} speed {best.speed_kmh} vs true {vehicle['zone_speed_kmh']}"
            )
    truth_events = {(v["id"], x["kind"]): x for v in truth["vehicles"] for x in v["violations"]}
    found: set[tuple[int, str]] = set()
    for event in result.events:
        vid = matches.get(event.track_id)
        key = (vid, event.kind) if vid is not None else None
        if event.kind == "speeding":
            true_speed = vehicles[vid]["zone_speed_kmh"] if vid is not None else None
            if true_speed is None or true_speed <= threshold:
                score.false_speeding += 1
                score.notes.append(f"{label} false speeding {_describe(event, vid)}")
            continue
        hit = key in truth_events and key not in found
        if hit and key is not None:
            t_true = truth_events[key]["timestamp_s"]
            hit = event.kind in LANE_KINDS or abs(_event_time(event, truth) - t_true) <= tolerance_s
        if hit and key is not None:
            score.tp[event.kind] += 1
            found.add(key)
        else:
            score.fp[event.kind] += 1
            score.notes.append(f"{label} false {event.kind} {_describe(event, vid)}")
    for (vid, kind), violation in truth_events.items():
        if kind == "speeding" or (vid, kind) in found:
            continue
        score.fn[kind] += 1
        score.notes.append(
            f"{label} missed {kind} by vehicle {vid} ({vehicles[vid]['class']}, "
            f"{vehicles[vid]['behaviour']}) at frame {violation['frame']}"
        )
    return score


def _event_time(event: ViolationEvent, truth: dict[str, Any]) -> float:
    start = datetime.fromisoformat(truth["start_time"])
    return (event.occurred_at - start).total_seconds()


def _describe(event: ViolationEvent, vid: int | None) -> str:
    return f"track {event.track_id} (vehicle {vid}) frame {event.frame_index} {event.measured}"


def _row(name: str, score: Score) -> str:
    return (
        f"{name:<28} {score.vehicles:>4} {score.mae:>6.2f} {score.max_err:>6.2f} "
        f"{score.coverage:>6.1%} {score.false_speeding:>4} "
        f"{score.precision(('red_light',)):>6.2f} {score.recall(('red_light',)):>6.2f} "
        f"{score.precision(LANE_KINDS):>6.2f} {score.recall(LANE_KINDS):>6.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", default="junction,highway,urban-bus-lane")
    parser.add_argument("--resolutions", default="720,1080")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tolerance-s", type=float, default=0.5)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    presets = [p for p in args.presets.split(",") if p]
    resolutions = [int(r) for r in args.resolutions.split(",") if r]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    total = Score()
    per_preset: dict[str, Score] = {}
    header = (
        f"{'scene':<28} {'veh':>4} {'MAE':>6} {'max':>6} {'cover':>6} {'fspd':>4} "
        f"{'RL P':>6} {'RL R':>6} {'lane P':>6} {'lane R':>6}"
    )
    print(header)
    print("-" * len(header))
    work = Path(tempfile.mkdtemp(prefix="nigran-bench-"))
    try:
        for preset in presets:
            preset_score = Score()
            for resolution in resolutions:
                for seed in seeds:
                    folder = scene_dir(preset, resolution, seed, args.seconds, args.cache)
                    label = f"{preset}-{resolution}-s{seed}"
                    result, truth, _ = run_scene(folder, work / label)
                    score = score_scene(result, truth, args.tolerance_s, label)
                    print(_row(label, score), flush=True)
                    preset_score.add(score)
            per_preset[preset] = preset_score
            total.add(preset_score)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("-" * len(header))
    for preset, score in per_preset.items():
        print(_row(preset, score))
    print(_row("all", total))
    per_kind = ", ".join(
        f"{k} P={total.precision((k,)):.2f} R={total.recall((k,)):.2f} "
        f"(tp {total.tp[k]} fp {total.fp[k]} fn {total.fn[k]})"
        for k in ("red_light", *LANE_KINDS)
    )
    print(f"per kind: {per_kind}")
    notes = total.notes if args.verbose else total.notes[:40]
    for note in notes:
        print(f"  {note}")
    if len(total.notes) > len(notes):
        print(f"  ... {len(total.notes) - len(notes)} more (--verbose)")
    print(
        f"RESULT speed_mae_kmh={total.mae:.3f} speed_max_err_kmh={total.max_err:.3f} "
        f"speed_coverage={total.coverage:.4f} false_speeding={total.false_speeding} "
        f"red_light_precision={total.precision(('red_light',)):.4f} "
        f"red_light_recall={total.recall(('red_light',)):.4f} "
        f"lane_precision={total.precision(LANE_KINDS):.4f} "
        f"lane_recall={total.recall(LANE_KINDS):.4f} vehicles={total.vehicles}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
