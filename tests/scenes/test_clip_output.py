"""The written clip decodes as promised and a seed reproduces it frame for frame."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fixtures.scenes import RenderOptions, render_scene
from fixtures.scenes.clip_frames import read_clip_frames
from tests.scenes.conftest import Rendered


def _frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def test_clip_decodes_to_the_stated_frame_count_and_fps(short_scene: Rendered) -> None:
    truth = short_scene.truth
    capture = cv2.VideoCapture(str(short_scene.result.clip_path))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(truth["fps"])
    capture.release()
    frames = _frames(short_scene.result.clip_path)
    assert len(frames) == truth["frame_count"] == len(truth["frames"])
    assert frames[0].shape == (truth["resolution"][1], truth["resolution"][0], 3)


def test_thirty_fps_1080p_clip_decodes_at_thirty_fps(tmp_path: Path) -> None:
    result = render_scene("highway", 1080, seed=5, duration_s=0.5, out_dir=tmp_path, fps=30)
    capture = cv2.VideoCapture(str(result.clip_path))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
    assert int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) == 1920
    capture.release()
    assert len(_frames(result.clip_path)) == result.frames == 15


def test_same_seed_renders_identical_frames_and_truth(tmp_path: Path) -> None:
    options = RenderOptions(noise_sigma=3.0, blur_sigma=0.6, jpeg_quality=80)
    a = render_scene("urban-bus-lane", 720, 11, 1.2, tmp_path / "a", 25, options)
    b = render_scene("urban-bus-lane", 720, 11, 1.2, tmp_path / "b", 25, options)
    frames_a, frames_b = _frames(a.clip_path), _frames(b.clip_path)
    assert len(frames_a) == len(frames_b) == 30
    for fa, fb in zip(frames_a, frames_b, strict=True):
        assert np.array_equal(fa, fb)
    assert a.truth_path.read_text() == b.truth_path.read_text()
    assert a.camera_path.read_text() == b.camera_path.read_text()


def test_different_seeds_give_different_traffic(tmp_path: Path) -> None:
    a = render_scene("junction", 720, 1, 1.0, tmp_path / "a", 25)
    b = render_scene("junction", 720, 2, 1.0, tmp_path / "b", 25)
    plates_a = {v["plate"] for v in json.loads(a.truth_path.read_text())["vehicles"]}
    plates_b = {v["plate"] for v in json.loads(b.truth_path.read_text())["vehicles"]}
    assert plates_a != plates_b


def test_frames_dir_holds_one_jpeg_per_frame(tmp_path: Path) -> None:
    result = render_scene(
        "junction", 720, 4, 0.4, tmp_path, 25, RenderOptions(frames_dir=True, dusk=True)
    )
    assert result.frames_path is not None
    assert len(sorted(result.frames_path.glob("*.jpg"))) == result.frames == 10


def test_signal_roi_shows_the_lit_lamp_the_truth_names(tmp_path: Path) -> None:
    result = render_scene("junction", 720, 1, 8.0, tmp_path, 25, RenderOptions(noise_sigma=0))
    truth = json.loads(result.truth_path.read_text())
    config = json.loads(result.camera_path.read_text())
    x, y, w, h = config["signal"]["roi_px"]
    frames = _frames(result.clip_path)
    seen = set()
    for info, frame in zip(truth["frames"], frames, strict=True):
        roi = frame[y : y + h, x : x + w].astype(int)
        thirds = [roi[i * h // 3 : (i + 1) * h // 3] for i in range(3)]
        brightness = [int((t.sum(axis=2)).max()) for t in thirds]
        lit = ("red", "amber", "green")[int(np.argmax(brightness))]
        expected = {"red_amber": "red"}.get(info["signal"], info["signal"])
        assert lit == expected, (info["index"], brightness)
        seen.add(info["signal"])
    assert {"green", "amber", "red"} <= seen


def test_cli_writes_the_three_files_and_reports_frames_per_second(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    done = subprocess.run(
        [sys.executable, "-m", "fixtures.scenes", "--preset", "highway", "--seed", "2",
         "--duration", "0.4", "--fps", "30", "--blur", "0.8", "--quality", "70", "--out", str(out)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert "frames/s" in done.stdout
    assert {p.name for p in out.iterdir()} == {"clip.mp4", "camera.json", "truth.json"}
    assert json.loads((out / "truth.json").read_text())["frame_count"] == 12


def test_cli_rejects_an_unknown_preset(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fixtures.scenes", "--preset", "roundabout", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 2 and "roundabout" in done.stderr


def test_frames_picked_by_index_are_the_clips_frames(short_scene: Rendered) -> None:
    clip = short_scene.result.clip_path
    every = _frames(clip)
    picked = read_clip_frames(clip, [len(every) - 1, 0, 3, len(every) + 10])
    # An index past the clip's end is missing, not an error.
    assert sorted(picked) == [0, 3, len(every) - 1]
    for index, frame in picked.items():
        assert np.array_equal(frame, every[index])
