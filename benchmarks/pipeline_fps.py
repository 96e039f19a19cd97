"""Frames per second of the engine (no OCR) against decoding the same clip alone.

    python -m benchmarks.pipeline_fps --preset highway --resolution 1080 --seconds 20

Both runs are pinned to one CPU core (decoder threads included), so the figures are
per core. Memory is sampled through the run: the table shows the resident set at each
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
from datetime import datetime
from pathlib import Path

import cv2

from benchmarks.detectors import CACHE, scene_dir
from enforcement.camera_config import CameraConfig
from enforcement.pipeline import PipelineSettings, run_pipeline
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="highway")
    parser.add_argument("--resolution", type=int, default=1080)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    pin_to_one_core()
    folder = scene_dir(args.preset, args.resolution, args.seed, args.seconds, args.cache)
    config = CameraConfig.load(folder / "camera.json")
    frames, decode = decode_fps(folder / "clip.mp4")
    decode_i420 = decode_i420_fps(folder / "clip.mp4")
    runs = {}
    rss: dict[str, dict[int, float]] = {}
    for label, evidence in (("engine", False), ("with evidence", True)):
        out_dir = Path(tempfile.mkdtemp(prefix="nigran-fps-"))
        samples = rss[label] = {}

        def sample_rss(frame: Frame, samples: dict[int, float] = samples) -> None:
            quarter = 4 * (frame.index + 1) // frames
            if quarter not in samples:
                samples[quarter] = current_rss_mb()

        try:
            source = open_source(folder / "clip.mp4", start_time=datetime.now().astimezone())
            runs[label] = run_pipeline(
                source,
                config,
                out_dir=out_dir,
                settings=PipelineSettings(write_evidence=evidence),
                progress=sample_rss,
            )
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
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
