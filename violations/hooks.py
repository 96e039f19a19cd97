"""What violations needs from other apps, reached through callables named in settings.

`violations` imports no `challans` code (approval is announced, not called); the
registry record shown to a reviewer and the fine used by the two-stage rule come
through these hooks instead:

- ``NIGRAN_REGISTRY_LOOKUP``: dotted path to ``lookup_plate(plate) -> dict | None``
  (``make``, ``colour``, ``vehicle_class``, ... no owner data).
- ``NIGRAN_FINE_LOOKUP``: dotted path to
  ``fine_for(kind, vehicle_class, plate) -> int | None`` (rupees).

An unset hook means "not available": the page says so and the rule is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def _hook(setting_name: str) -> Callable[..., Any] | None:
    dotted = getattr(settings, setting_name, None)
    if not dotted:
        return None
    try:
        return import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting_name}={dotted!r} cannot be imported: {exc}")


def registry_lookup_configured() -> bool:
    return _hook("NIGRAN_REGISTRY_LOOKUP") is not None


def lookup_registry(plate: str) -> dict[str, Any] | None:
    """The registry record (vehicle data only) for a plate, or None if unknown/unset."""
    lookup = _hook("NIGRAN_REGISTRY_LOOKUP")
    if lookup is None or not plate:
        return None
    return lookup(plate)


def lookup_fine_pkr(kind: str, vehicle_class: str, plate: str) -> int | None:
    """The fine the violation would carry, or None when no fine hook is configured."""
    lookup = _hook("NIGRAN_FINE_LOOKUP")
    if lookup is None:
        return None
    amount = lookup(kind, vehicle_class, plate)
    return int(amount) if amount is not None else None
