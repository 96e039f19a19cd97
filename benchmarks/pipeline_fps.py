"""Frames per second of the engine (no OCR) against decoding the same clip alone.

    python -m benchmarks.pipeline_fps --preset highway --resolution 1080 --seconds 20

Both runs are pinned to one CPU core (decoder threads included), so the figures are
per core. Decoding and the engine run ``--repeat`` times, interleaved, and the fastest run
of each counts: a busy machine only ever slows a run down, so the best is the closest to
what the code costs (the spread is printed). Memory is sampled through the run: the table shows the resident set at each
quarter of the clip, and ``rss_growth_mb`` is how much it grew over the second half
(near zero when buffers are bounded); ``peak_rss_mb`` is the process's high-water mark.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import cv2

from benchmarks.detectors import CACHE, scene_dir
from enforcement.camera_config import CameraConfig
from enforcement.pipeline import PipelineResult, PipelineSettings, run_pipeline
from enforcement.video import Frame, open_source


def decode_fps(clip: Path) -> tuple[int, float]:
    """Decoding alone as OpenCV does it: every frame to BGR."""
    capture = cv2.VideoCapture(str(clip))
    frames = 0
    started = time.perf_counter()
    while True:
        ok, _ = capture.read()
        if not ok:
            break
        frames += 1
    elapsed = time.perf_counter() - started
    capture.release()
    return frames, frames / elapsed


def decode_i420_fps(clip: Path) -> float:
    """Decoding alone as the pipeline's file source does it: frames kept in I420."""
    started = time.perf_counter()
    frames = sum(1 for _ in open_source(clip, start_time=datetime.now().astimezone()))
    return frames / (time.perf_counter() - started)


def current_rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def run_engine(
    folder: Path, config: CameraConfig, *, evidence: bool, progress: Callable[[Frame], None]
) -> PipelineResult:
    out_dir = Path(tempfile.mkdtemp(prefix="nigran-fps-"))
    try:
        source = open_source(folder / "clip.mp4", start_time=datetime.now().astimezone())
        return run_pipeline(
            source,
            config,
            out_dir=out_dir,
            settings=PipelineSettings(write_evidence=evidence),
            progress=progress,
        )
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="highway")
    parser.add_argument("--resolution", type=int, default=1080)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each, interleaved; the best one counts"
    )
    args = parser.parse_args(argv)
    pin_to_one_core()
    folder = scene_dir(args.preset, args.resolution, args.seed, args.seconds, args.cache)
    config = CameraConfig.load(folder / "camera.json")
    rss: dict[str, dict[int, float]] = {"engine": {}, "with evidence": {}}
    frames = 0

    def sampler(samples: dict[int, float]) -> Callable[[Frame], None]:
        def sample_rss(frame: Frame) -> None:
            quarter = 4 * (frame.index + 1) // max(frames, 1)
            if quarter not in samples:
                samples[quarter] = current_rss_mb()

        return sample_rss

    decodes, decodes_i420, engines = [], [], []
    for _ in range(max(1, args.repeat)):
        frames, decode = decode_fps(folder / "clip.mp4")
        decodes.append(decode)
        decodes_i420.append(decode_i420_fps(folder / "clip.mp4"))
        engines.append(run_engine(folder, config, evidence=False, progress=sampler(rss["engine"])))
    runs = {
        "engine": max(engines, key=lambda r: r.stats.fps),
        "with evidence": run_engine(
            folder, config, evidence=True, progress=sampler(rss["with evidence"])
        ),
    }
    decode, decode_i420 = max(decodes), max(decodes_i420)
    print(f"best of {len(decodes)} interleaved runs each (frames/s, slowest–fastest): decode "
          f"{min(decodes):.0f}–{decode:.0f}, I420 {min(decodes_i420):.0f}–{decode_i420:.0f}, "
          f"pipeline {min(r.stats.fps for r in engines):.0f}–{runs['engine'].stats.fps:.0f}")  # fmt: skip
    result = runs["engine"]
    pipeline = result.stats.fps
    print(f"clip        {folder} ({frames} frames, {config.resolution[0]}x{config.resolution[1]})")
    print(f"decode      {decode:8.1f} frames/s  (OpenCV, to BGR: the reference for the ratio)")
    print(f"  to I420   {decode_i420:8.1f} frames/s  (PyAV, as the pipeline reads files: colour is "
          "converted only for the frames that need it)")  # fmt: skip
    print(f"pipeline    {pipeline:8.1f} frames/s  (decode + detection + tracking + detectors; "
          f"{result.stats.tracks} tracks, {result.stats.events} events)")  # fmt: skip
    print(f"  of which  {result.stats.prime_s:8.2f} s learning the empty road (a pre-scan of the "
          f"key frames of the clip's first {PipelineSettings().prime_span_s:g} s); after it "
          f"{result.stats.steady_fps:.1f} frames/s, {result.stats.steady_fps / decode:.3f}x decode")  # fmt: skip
    print(f"+ evidence  {runs['with evidence'].stats.fps:8.1f} frames/s  (also writing every "
          "event's frames and MP4 clip)")  # fmt: skip
    print("resident memory (MB) at each quarter of the clip:")
    for label, samples in rss.items():
        quarters = "  ".join(
            f"{q * 25:>3}%: {samples.get(q, float('nan')):6.0f}" for q in (1, 2, 3, 4)
        )
        print(f"  {label:<14} {quarters}")
    engine_rss = rss["engine"]
    growth = engine_rss.get(4, 0.0) - engine_rss.get(2, 0.0)
    print(f"RESULT decode_fps={decode:.1f} pipeline_fps={pipeline:.1f} "
          f"ratio={pipeline / decode:.3f} peak_rss_mb={peak_rss_mb():.0f} "
          f"rss_growth_mb={growth:.0f} steady_fps={result.stats.steady_fps:.1f} "
          f"steady_ratio={result.stats.steady_fps / decode:.3f} "
          f"decode_i420_fps={decode_i420:.1f} ratio_i420={pipeline / decode_i420:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
