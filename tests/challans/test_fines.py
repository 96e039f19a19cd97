"""Fine classes and the schedule in force on a date."""

from datetime import date

import pytest

from challans.fines import FineNotScheduled, UnknownVehicleClass, amount_due, late_total_pkr
from challans.models import Challan, FineSchedule
from challans.services import fine_class_for, fine_for

from .conftest import make_registration


@pytest.mark.parametrize(
    ("vehicle_class", "engine_cc", "expected"),
    [
        ("motorcycle", 70, "motorcycle"),
        ("rickshaw", 200, "three_wheeler"),
        ("car", 800, "car"),
        ("car", 2000, "car"),
        ("car", 2700, "car_over_2000cc"),
        ("van", 800, "car"),
        ("bus", 7700, "heavy"),
        ("truck", None, "heavy"),
    ],
)
def test_it_maps_vehicle_classes_to_fine_classes(vehicle_class, engine_cc, expected):
    assert fine_class_for(vehicle_class, engine_cc) == expected


def test_it_rejects_an_unknown_vehicle_class():
    with pytest.raises(UnknownVehicleClass, match="tractor"):
        fine_class_for("tractor")


def test_the_registry_class_wins_over_the_detected_class(db):
    registration = make_registration(vehicle_class="car", fine_class="car_over_2000cc")
    assert fine_class_for(registration) == "car_over_2000cc"


@pytest.mark.parametrize(
    ("kind", "fine_class", "on", "amount"),
    [
        ("red_light", "motorcycle", date(2025, 6, 1), 2000),
        ("red_light", "three_wheeler", date(2025, 6, 1), 3000),
        ("red_light", "car", date(2025, 6, 1), 5000),
        ("red_light", "car_over_2000cc", date(2025, 6, 1), 10000),
        ("red_light", "heavy", date(2025, 6, 1), 15000),
        ("speeding", "heavy", date(2026, 11, 23), 20000),
        ("wrong_way", "car_over_2000cc", date(2025, 1, 1), 10000),
        ("bus_lane", "car", date(2025, 3, 1), 3000),
        ("red_light", "car", date(2024, 12, 31), 500),
        ("speeding", "motorcycle", date(2018, 1, 1), 300),
    ],
)
def test_it_takes_the_schedule_in_force_on_the_violation_date(fines, kind, fine_class, on, amount):
    assert fine_for(kind, fine_class, on).amount_pkr == amount


def test_gaps_in_the_published_schedule_are_marked_provisional(fines):
    assert fine_for("speeding", "car_over_2000cc", date(2025, 6, 1)).provisional
    assert not fine_for("speeding", "car", date(2025, 6, 1)).provisional


def test_a_schedule_change_applies_from_its_date_only(fines):
    FineSchedule.objects.create(
        kind="speeding", fine_class="car", amount_pkr=7500, effective_from=date(2027, 1, 1)
    )
    assert fine_for("speeding", "car", date(2026, 12, 31)).amount_pkr == 5000
    assert fine_for("speeding", "car", date(2027, 1, 1)).amount_pkr == 7500


def test_it_says_how_to_fix_a_missing_schedule(db):
    with pytest.raises(FineNotScheduled, match="loaddata fine_schedule"):
        fine_for("speeding", "car", date(2025, 6, 1))


def test_the_late_fee_doubles_the_fine_after_the_due_date():
    challan = Challan(amount_pkr=5000, due_date=date(2026, 12, 4), status=Challan.Status.ISSUED)
    assert amount_due(challan, date(2026, 12, 4)) == (5000, 0, 5000)
    assert amount_due(challan, date(2026, 12, 5)) == (5000, 5000, 10000)


def test_the_late_fee_multiplier_is_configurable(settings):
    settings.NIGRAN = {**settings.NIGRAN, "LATE_FEE_MULTIPLIER": 1.5}
    assert late_total_pkr(3000) == 4500


def test_a_cancelled_challan_owes_nothing():
    challan = Challan(amount_pkr=5000, due_date=date(2026, 12, 4), status=Challan.Status.CANCELLED)
    assert amount_due(challan, date(2027, 1, 1)) == (0, 0, 0)
