"""Exceptions raised by the ANPR package."""

from __future__ import annotations


class InvalidImageError(ValueError):
    """The input is not an image ANPR can use (empty, undecodable, wrong shape or dtype)."""


class OcrModelError(RuntimeError):
    """A model's weights could not be loaded: EasyOCR's from the configured model directory,
    the glyph classifier's shipped with the package, or the recogniser's ONNX build (which
    the reader then does without)."""
