"""The engine and ANPR run without Django (an edge box has none)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = [
    "enforcement.camera_config",
    "enforcement.events",
    "enforcement.geometry",
    "enforcement.video",
    "enforcement.frames",
    "enforcement.decoding",
    "enforcement.detection",
    "enforcement.tracking",
    "enforcement.signals",
    "enforcement.detectors.base",
    "enforcement.detectors.site",
    "enforcement.detectors.speed",
    "enforcement.detectors.red_light",
    "enforcement.detectors.lane",
    "enforcement.evidence",
    "enforcement.overlay",
    "enforcement.pipeline",
    "enforcement.plate_size",
    "ocr",
]


def test_importing_the_engine_and_ocr_does_not_import_django() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {ENGINE!r}:\n"
        "    importlib.import_module(name)\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
