"""What the engine hands to the rest of the system: plain, JSON-serialisable data.

A `ViolationEvent` is produced by a detector, enriched with evidence by the
pipeline and with a plate reading by `ocr`, and persisted by
`violations.services.record_violation_event`. It imports no Django.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

VIOLATION_KINDS = ("speeding", "red_light", "bus_lane", "no_entry", "solid_line", "wrong_way")
VEHICLE_CLASSES = ("motorcycle", "rickshaw", "car", "van", "bus", "truck")


@dataclass(frozen=True)
class EvidenceFile:
    """One evidence file the engine wrote to disk.

    ``kind`` is ``frame`` (a full frame with its data bar), ``plate_frame`` (the best
    frame for ANPR, without data bar), ``plate_crop`` or ``clip`` (MP4).
    ``role`` says what a frame proves: ``before_line``, ``at_line``, ``after_line``,
    ``zone_entry``, ``zone_exit``, ``in_lane``, ``line_crossing``, ``plate``, ``clip``.
    """

    kind: str
    role: str
    path: Path
    frame_index: int
    captured_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "role": self.role,
            "path": str(self.path),
            "frame_index": self.frame_index,
            "captured_at": self.captured_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceFile:
        return cls(
            kind=data["kind"],
            role=data["role"],
            path=Path(data["path"]),
            frame_index=int(data["frame_index"]),
            captured_at=datetime.fromisoformat(data["captured_at"]),
        )


@dataclass(frozen=True)
class TrackBox:
    frame_index: int
    timestamp_s: float
    xyxy: tuple[float, float, float, float]


@dataclass(frozen=True)
class PlateReading:
    """The plate as ANPR read it across a track's frames.

    ``text`` is the canonical ``LETTERS-DIGITS`` form, or the raw reading for an
    unknown format, or ``""`` when ``unreadable``.
    """

    text: str
    confidence: float
    unreadable: bool
    format: str = "unknown"
    province: str = ""
    year: str = ""
    candidates: tuple[tuple[str, float], ...] = ()
    crop_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["crop_path"] = str(self.crop_path) if self.crop_path else None
        data["candidates"] = [list(c) for c in self.candidates]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlateReading:
        return cls(
            text=data["text"],
            confidence=float(data["confidence"]),
            unreadable=bool(data["unreadable"]),
            format=data.get("format", "unknown"),
            province=data.get("province", ""),
            year=data.get("year", ""),
            candidates=tuple((str(t), float(c)) for t, c in data.get("candidates", [])),
            crop_path=Path(data["crop_path"]) if data.get("crop_path") else None,
        )


@dataclass(frozen=True)
class ViolationEvent:
    """One violation by one tracked vehicle, with its measurements and evidence.

    ``occurred_at`` is timezone-aware and derived from frame capture timestamps, never
    the wall clock. ``measured`` holds the values a challan prints, with units in the
    keys: ``speed_kmh``, ``limit_kmh``, ``uncertainty_kmh``, ``time_into_red_s``,
    ``lane_id``, ``line_id``, ``distance_m``.
    """

    kind: str
    camera_code: str
    track_id: int
    occurred_at: datetime
    frame_index: int
    measured: dict[str, Any]
    vehicle_class: str = "car"
    boxes: tuple[TrackBox, ...] = ()
    evidence: tuple[EvidenceFile, ...] = ()
    plate: PlateReading | None = None
    calibration_version: str = ""
    calibration_error_m: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in VIOLATION_KINDS:
            raise ValueError(
                f"unknown violation kind {self.kind!r}; expected one of {VIOLATION_KINDS}"
            )
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "camera_code": self.camera_code,
            "track_id": self.track_id,
            "occurred_at": self.occurred_at.isoformat(),
            "frame_index": self.frame_index,
            "measured": dict(self.measured),
            "vehicle_class": self.vehicle_class,
            "boxes": [[b.frame_index, b.timestamp_s, list(b.xyxy)] for b in self.boxes],
            "evidence": [e.to_dict() for e in self.evidence],
            "plate": self.plate.to_dict() if self.plate else None,
            "calibration_version": self.calibration_version,
            "calibration_error_m": self.calibration_error_m,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ViolationEvent:
        return cls(
            kind=data["kind"],
            camera_code=data["camera_code"],
            track_id=int(data["track_id"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            frame_index=int(data["frame_index"]),
            measured=dict(data["measured"]),
            vehicle_class=data.get("vehicle_class", "car"),
            boxes=tuple(
                TrackBox(int(i), float(t), (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
                for i, t, b in data.get("boxes", [])
            ),
            evidence=tuple(EvidenceFile.from_dict(e) for e in data.get("evidence", [])),
            plate=PlateReading.from_dict(data["plate"]) if data.get("plate") else None,
            calibration_version=data.get("calibration_version", ""),
            calibration_error_m=data.get("calibration_error_m"),
            extra=dict(data.get("extra", {})),
        )
