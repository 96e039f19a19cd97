"""When an approval needs a second, supervisor review (configurable in settings).

``NIGRAN_SECOND_REVIEW = {"min_fine_pkr": 10000, "max_plate_confidence": 0.8,
"corrected_plate": True}``: a fine at or above ``min_fine_pkr``, a plate read with
confidence below ``max_plate_confidence``, or a plate the first reviewer corrected
each require a second review. ``None``/``False`` switches a rule off.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from violations.hooks import lookup_fine_pkr
from violations.models import Violation

DEFAULT_SECOND_REVIEW: dict[str, Any] = {
    "min_fine_pkr": 10000,
    "max_plate_confidence": 0.8,
    "corrected_plate": True,
}


def second_review_config() -> dict[str, Any]:
    return {**DEFAULT_SECOND_REVIEW, **getattr(settings, "NIGRAN_SECOND_REVIEW", {})}


def second_review_reasons(violation: Violation, *, plate_corrected: bool) -> list[str]:
    """Why approving this violation needs a second reviewer; empty when it does not."""
    config = second_review_config()
    reasons = []
    if plate_corrected and config.get("corrected_plate"):
        reasons.append("the plate was corrected by the reviewer")
    max_confidence = config.get("max_plate_confidence")
    if (
        max_confidence is not None
        and not plate_corrected
        and (violation.plate_confidence is None or violation.plate_confidence < max_confidence)
    ):
        confidence = violation.plate_confidence
        shown = "none" if confidence is None else f"{confidence:.2f}"
        reasons.append(f"plate confidence {shown} is below {max_confidence:.2f}")
    min_fine = config.get("min_fine_pkr")
    if min_fine is not None:
        fine = lookup_fine_pkr(violation.kind, violation.vehicle_class, violation.plate)
        if fine is not None and fine >= min_fine:
            reasons.append(f"fine Rs {fine:,} is at least Rs {min_fine:,}")
    return reasons
