"""The Excise registry as other apps may see it: vehicle data, never the owner's."""

from __future__ import annotations

import re
from typing import Any

from challans.models import VehicleRegistration

_SEPARATORS = re.compile(r"[\s\-_.]+")
_PLATE = re.compile(r"^([A-Z]+)(\d+)$")


def normalise_plate(plate: str) -> str:
    """``lea 1234`` / ``LEA1234`` / ``LEA-1234`` -> ``LEA-1234`` (the registry's form)."""
    compact = _SEPARATORS.sub("", plate.strip().upper())
    match = _PLATE.match(compact)
    if match is None:
        return plate.strip().upper()
    return f"{match.group(1)}-{match.group(2)}"


def find_registration(plate: str) -> VehicleRegistration | None:
    if not plate or not plate.strip():
        return None
    return VehicleRegistration.objects.filter(plate=normalise_plate(plate)).first()


def lookup_plate(plate: str) -> dict[str, Any] | None:
    """Vehicle data for the review page (``NIGRAN_REGISTRY_LOOKUP``); None when unknown.

    Deliberately leaves out name, CNIC, address, phone and email: a warden checks that
    the vehicle in the picture matches the registration, and needs nothing personal.
    """
    registration = find_registration(plate)
    if registration is None:
        return None
    return {
        "plate": registration.plate,
        "make": registration.make,
        "colour": registration.colour,
        "vehicle_class": registration.vehicle_class,
        "fine_class": registration.fine_class,
        "registration_year": registration.registration_year,
        "province": registration.province,
    }
