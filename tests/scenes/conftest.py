"""Small rendered scenes shared by the scene-generator tests (2 s at 720p each)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from enforcement.camera_config import CameraConfig
from fixtures.scenes import SceneResult, render_scene
from fixtures.scenes.presets import PRESETS

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


@dataclass(frozen=True)
class Rendered:
    result: SceneResult
    camera: CameraConfig
    truth: dict[str, Any]


def load(result: SceneResult) -> Rendered:
    return Rendered(
        result,
        CameraConfig.load(result.camera_path),
        json.loads(result.truth_path.read_text(encoding="utf-8")),
    )


@pytest.fixture(scope="session", params=PRESETS)
def short_scene(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Rendered:
    out = tmp_path_factory.mktemp(f"scene-{request.param}")
    return load(render_scene(request.param, 720, seed=3, duration_s=2.0, out_dir=out, fps=25))
