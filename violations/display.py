"""How a violation's measurement and evidence are shown to a reviewer."""

from __future__ import annotations

from collections.abc import Sequence

from violations.models import Evidence, Violation

# Which frame best shows the offence, per role the engine gives its frames.
_KEY_FRAME_ROLES = (
    "at_line",
    "line_crossing",
    "in_lane",
    "zone_exit",
    "after_line",
    "zone_entry",
    "before_line",
)


def measured_summary(violation: Violation) -> str:
    """One line for the queue: ``87.3 / 60 km/h``, ``red +2.4 s``, ``lane L2``."""
    parts = []
    if violation.speed_kmh is not None:
        limit = f" / {violation.limit_kmh:g}" if violation.limit_kmh is not None else ""
        parts.append(f"{violation.speed_kmh:.1f}{limit} km/h")
    if violation.time_into_red_s is not None:
        parts.append(f"red +{violation.time_into_red_s:.1f} s")
    if violation.lane_id:
        parts.append(f"lane {violation.lane_id}")
    if violation.line_id:
        parts.append(f"line {violation.line_id}")
    return " · ".join(parts) or "—"


def key_frame(evidence: Sequence[Evidence]) -> Evidence | None:
    """The frame that best shows the offence (falls back to the plate frame)."""
    frames = [e for e in evidence if e.kind == Evidence.Kind.FRAME]
    for role in _KEY_FRAME_ROLES:
        for frame in frames:
            if frame.role == role:
                return frame
    if frames:
        return frames[len(frames) // 2]
    return next((e for e in evidence if e.kind == Evidence.Kind.PLATE_FRAME), None)


def plate_crop(evidence: Sequence[Evidence]) -> Evidence | None:
    return next((e for e in evidence if e.kind == Evidence.Kind.PLATE_CROP), None)


def confidence_band(confidence: float | None, unreadable: bool) -> str:
    if unreadable or confidence is None:
        return "unreadable"
    if confidence < 0.5:
        return "low"
    if confidence < 0.8:
        return "medium"
    return "high"
