"""Frames per second of the engine (no OCR) against decoding the same clip alone.

    python -m benchmarks.pipeline_fps --preset highway --resolution 1080 --seconds 20

Both runs are single-threaded (OpenCV's thread pool is set to one thread), so the
figures are per core. Peak RSS is the process's high-water mark after the pipeline
run; with a bounded ring buffer it does not grow with the clip's length.
"""

from __future__ import annotations

import argparse
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
from enforcement.video import open_source


def decode_fps(clip: Path) -> tuple[int, float]:
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
    cv2.setNumThreads(1)
    folder = scene_dir(args.preset, args.resolution, args.seed, args.seconds, args.cache)
    config = CameraConfig.load(folder / "camera.json")
    frames, decode = decode_fps(folder / "clip.mp4")
    runs = {}
    for label, evidence in (("engine", False), ("with evidence", True)):
        out_dir = Path(tempfile.mkdtemp(prefix="nigran-fps-"))
        try:
            source = open_source(folder / "clip.mp4", start_time=datetime.now().astimezone())
            runs[label] = run_pipeline(
                source, config, out_dir=out_dir, settings=PipelineSettings(write_evidence=evidence)
            )
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
    result = runs["engine"]
    pipeline = result.stats.fps
    print(f"clip        {folder} ({frames} frames, {config.resolution[0]}x{config.resolution[1]})")
    print(f"decode      {decode:8.1f} frames/s")
    print(f"pipeline    {pipeline:8.1f} frames/s  (decode + detection + tracking + detectors; "
          f"{result.stats.tracks} tracks, {result.stats.events} events)")  # fmt: skip
    print(f"+ evidence  {runs['with evidence'].stats.fps:8.1f} frames/s  (also writing every "
          "event's frames and MP4 clip)")  # fmt: skip
    print(f"RESULT decode_fps={decode:.1f} pipeline_fps={pipeline:.1f} "
          f"ratio={pipeline / decode:.3f} peak_rss_mb={peak_rss_mb():.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
