"""ANPR on a clip from the scene generator, with its true vehicle boxes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.scenes.clip_frames import read_clip_frames

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "junction"
# Plates at least this wide (px) in some frame: legible at the clip's 720p.
_MIN_PLATE_WIDTH_PX = 55
_FRAMES_PER_TRACK = 3


def _tracks() -> list[tuple[str, list[dict]]]:
    truth = json.loads((SAMPLE / "truth.json").read_text())
    tracks = []
    for vehicle in truth["vehicles"]:
        frames = [f for f in vehicle["frames"] if f.get("plate_box_px")]
        frames.sort(key=lambda f: -(f["plate_box_px"][2] - f["plate_box_px"][0]))
        if (
            frames
            and frames[0]["plate_box_px"][2] - frames[0]["plate_box_px"][0] >= _MIN_PLATE_WIDTH_PX
        ):
            tracks.append((vehicle["plate"], frames[:_FRAMES_PER_TRACK]))
    return tracks[:4]


@pytest.mark.skipif(not (SAMPLE / "truth.json").exists(), reason="generator sample not rendered")
def test_tracks_on_a_generated_clip_are_read_or_honestly_unreadable(plate_reader) -> None:
    tracks = _tracks()
    assert tracks, "the sample has no vehicle with a legible plate"
    images = read_clip_frames(
        SAMPLE / "clip.mp4", {f["index"] for _, frames in tracks for f in frames}
    )
    right = 0
    for plate, frames in tracks:
        observations = [(images[f["index"]], tuple(f["box_px"])) for f in frames]
        reading = plate_reader.read_track(observations)
        assert reading.unreadable or reading.text == plate, (plate, reading)
        right += reading.text == plate or (
            bool(reading.candidates) and reading.candidates[0][0] == plate
        )
    assert right >= len(tracks) / 2
