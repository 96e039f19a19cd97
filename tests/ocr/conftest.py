"""Shared fixtures for the ANPR tests: the real plate images and one loaded reader."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pytest

if TYPE_CHECKING:
    from ocr.row_crop import RowCrop

PLATES_DIR = Path(__file__).resolve().parent.parent / "data" / "plates"
OPENALPR = PLATES_DIR / "openalpr"


@dataclass(frozen=True)
class LabelledImage:
    name: str
    image_bgr: np.ndarray
    plate: str
    year: str = ""
    box_xywh: tuple[int, int, int, int] | None = None


def _load(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, f"test image missing: {path}"
    return image


def plate_in_name(name: str) -> str:
    """The plate an ``openalpr/`` crop's name ends in ("car12_5UVR090.png": "5UVR090")."""
    return name.split("_")[-1].removesuffix(".png")


def openalpr_row(name: str) -> RowCrop:
    """The first row of the best layout of a plate crop in ``openalpr/``, cut as the reader
    cuts it (the crop scaled to 160 px high)."""
    from ocr import localize
    from ocr.row_cutting import row_crops

    image = _load(OPENALPR / name)
    scale = 160 / image.shape[0]
    gray = cv2.cvtColor(cv2.resize(image, None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY)
    layout = localize.find_layouts(gray, plate_crop=True, upscale=scale)[0]
    return row_crops(gray, layout)[0]


def pk_images() -> list[LabelledImage]:
    folder = PLATES_DIR / "pk"
    with (folder / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        LabelledImage(r["file"], _load(folder / r["file"]), r["plate"], r["year"]) for r in rows
    ]


def scene_images() -> list[LabelledImage]:
    folder = PLATES_DIR / "scenes"
    images = []
    for text_file in sorted(folder.glob("*.txt")):
        name, x, y, w, h, text = text_file.read_text().strip().split("\t")[:6]
        images.append(
            LabelledImage(
                name, _load(folder / name), text, box_xywh=(int(x), int(y), int(w), int(h))
            )
        )
    return images


@pytest.fixture(scope="session")
def pk_crops() -> dict[str, LabelledImage]:
    return {image.name: image for image in pk_images()}


@pytest.fixture(scope="session")
def scenes() -> dict[str, LabelledImage]:
    return {image.name: image for image in scene_images()}


@pytest.fixture(scope="session")
def plate_reader():
    """One EasyOCR model for the whole session (loading it takes seconds)."""
    from ocr import get_plate_reader

    reader = get_plate_reader()
    _ = reader.recogniser
    return reader


@pytest.fixture(scope="session")
def stock_plate_reader():
    """A reader with EasyOCR's own recogniser weights (``NIGRAN_OCR_RECOGNISER=easyocr``),
    not those fine-tuned on plate rows: for what the glyph classifier and the second
    look set right in its readings."""
    from ocr.reader import PlateReader

    reader = PlateReader(stock_recogniser=True)
    _ = reader.recogniser
    return reader


@pytest.fixture(scope="session")
def torch_plate_reader():
    """A reader whose line recogniser runs in PyTorch, float32 (not the 8-bit ONNX build):
    for readings that stand on a near tie."""
    from ocr.reader import PlateReader

    reader = PlateReader(runtime="torch")
    _ = reader.recogniser
    return reader
