"""Render PDF pages to images and decode their QR codes, as a phone camera would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest


def render_first_page(pdf_path: Path, dpi: int = 150) -> np.ndarray:
    """Page 1 of ``pdf_path`` as a BGR image (needs poppler's ``pdftoppm``)."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: apt-get install -y poppler-utils")
    prefix = pdf_path.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", pdf_path, prefix],
        check=True,
        timeout=60,
    )
    image = cv2.imread(f"{prefix}.png")
    assert image is not None, f"pdftoppm wrote no image for {pdf_path}"
    return image


def decode_qr(image: np.ndarray) -> str:
    """The text of the QR code in ``image``, or "" when none decodes.

    OpenCV's classic detector misses about one valid code in twenty (its finder-pattern
    search is fragile); the ArUco-based detector is the robust one, so it goes first.
    """
    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        text, _, _ = detector.detectAndDecode(image)
        if text:
            return str(text)
    return ""
