"""Fixtures for the portal tests: isolated media and cache, challans from the ORM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from challans.models import Challan
from tests.portal.factories import build_challan


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    cache.clear()


@pytest.fixture
def make_challan(db: None) -> Callable[..., Challan]:
    return build_challan


@pytest.fixture
def challan(make_challan: Callable[..., Challan]) -> Challan:
    return make_challan()
