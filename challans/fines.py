"""Which fine applies: the vehicle's fine class and the schedule in force on a date."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone

from challans.models import Challan, FineClass, FineSchedule, VehicleRegistration

# Engine/registry vehicle classes -> fine classes of the Punjab schedule.
_FINE_CLASS_BY_VEHICLE_CLASS = {
    "motorcycle": FineClass.MOTORCYCLE,
    "rickshaw": FineClass.THREE_WHEELER,
    "three_wheeler": FineClass.THREE_WHEELER,
    "car": FineClass.CAR,
    "van": FineClass.CAR,
    "jeep": FineClass.CAR,
    "bus": FineClass.HEAVY,
    "truck": FineClass.HEAVY,
}
LARGE_ENGINE_CC = 2000


class FineNotScheduled(LookupError):
    """No FineSchedule row covers a kind, class and date."""


class UnknownVehicleClass(ValueError):
    """A vehicle class that maps to no fine class."""


def fine_class_for(source: VehicleRegistration | str, engine_cc: int | None = None) -> str:
    """The fine class for a registry record (its class wins) or a detected vehicle class.

    Cars with an engine over 2000 cc pay the higher car fine; vans count as cars and
    buses and trucks as heavy vehicles.
    """
    if isinstance(source, VehicleRegistration):
        if source.fine_class:
            return str(source.fine_class)
        return fine_class_for(source.vehicle_class, source.engine_cc)
    try:
        fine_class = _FINE_CLASS_BY_VEHICLE_CLASS[source.strip().lower()]
    except KeyError:
        raise UnknownVehicleClass(
            f"vehicle class {source!r} has no fine class; expected one of "
            f"{sorted(_FINE_CLASS_BY_VEHICLE_CLASS)}"
        )
    if fine_class == FineClass.CAR and engine_cc is not None and engine_cc > LARGE_ENGINE_CC:
        return FineClass.CAR_OVER_2000CC.value
    return fine_class.value


def fine_for(kind: str, fine_class: str, on: date) -> FineSchedule:
    """The schedule row in force on ``on``: the latest ``effective_from`` not after it."""
    row = (
        FineSchedule.objects.filter(kind=kind, fine_class=fine_class, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )
    if row is None:
        raise FineNotScheduled(
            f"no fine scheduled for {kind}/{fine_class} on {on.isoformat()}: load "
            "challans/fixtures/fine_schedule.json (manage.py loaddata fine_schedule) or add a "
            "Fine schedule row in admin effective on or before that date"
        )
    return row


def fine_pkr_for_plate(kind: str, vehicle_class: str, plate: str) -> int | None:
    """Hook for violations review (``NIGRAN_FINE_LOOKUP``): today's fine in rupees, or None."""
    registration = VehicleRegistration.objects.filter(plate=plate).first() if plate else None
    try:
        fine_class = fine_class_for(registration if registration else vehicle_class)
        return fine_for(kind, fine_class, timezone.localdate()).amount_pkr
    except (FineNotScheduled, UnknownVehicleClass):
        return None


def late_total_pkr(amount_pkr: int) -> int:
    """What a fine becomes after the due date (``LATE_FEE_MULTIPLIER``, 2: doubled)."""
    return round(amount_pkr * float(settings.NIGRAN["LATE_FEE_MULTIPLIER"]))


def late_fee_rule() -> str:
    multiplier = float(settings.NIGRAN["LATE_FEE_MULTIPLIER"])
    if multiplier == 2.0:
        return "the fine doubles after the due date."
    return f"after the due date the amount becomes {multiplier:g} times the fine."


def amount_due(challan: Challan, on: date) -> tuple[int, int, int]:
    """``(fine, late_fee, total)`` in rupees owed on ``on`` (all zero once cancelled)."""
    if challan.status == Challan.Status.CANCELLED:
        return (0, 0, 0)
    fine = challan.amount_pkr
    late_fee = challan.late_fee_pkr
    if not late_fee and challan.status != Challan.Status.PAID and on > challan.due_date:
        late_fee = late_total_pkr(fine) - fine
    return (fine, late_fee, fine + late_fee)
