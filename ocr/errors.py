"""Exceptions raised by the ANPR package."""

from __future__ import annotations


class InvalidImageError(ValueError):
    """The input is not an image ANPR can use (empty, undecodable, wrong shape or dtype)."""


class OcrModelError(RuntimeError):
    """The EasyOCR weights could not be loaded from the configured model directory."""
