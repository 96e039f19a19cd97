"""The registry fixture and the review-page lookup."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from challans.models import VehicleRegistration
from challans.registry import lookup_plate, normalise_plate
from fixtures.registry_builder import OUTPUT, sample_vehicles

from .conftest import make_registration


@pytest.mark.parametrize("raw", ["LEA-6879", "lea 6879", "LEA6879", " lea-6879 "])
def test_it_normalises_plate_spellings(raw):
    assert normalise_plate(raw) == "LEA-6879"


@pytest.mark.django_db
def test_the_lookup_gives_vehicle_data_but_no_owner_data():
    make_registration()
    record = lookup_plate("lea 6879")
    assert record is not None
    assert record["make"] == "Suzuki Mehran"
    assert record["colour"] == "White"
    assert record["vehicle_class"] == "car"
    forbidden = {"owner_name", "cnic", "address", "phone", "email"}
    assert not forbidden & set(record)
    assert "Asif" not in json.dumps(record)


@pytest.mark.django_db
def test_the_lookup_returns_none_for_an_unknown_plate():
    assert lookup_plate("ZZZ-9999") is None


@pytest.mark.django_db
def test_the_registry_fixture_loads_with_at_least_1000_valid_records():
    call_command("loaddata", "registry", verbosity=0)
    assert VehicleRegistration.objects.count() >= 1000
    for registration in VehicleRegistration.objects.all()[:200]:
        assert len(registration.cnic) == 13 and registration.cnic.isdigit()
        assert normalise_plate(registration.plate) == registration.plate
        registration.full_clean()


def test_every_sample_vehicle_is_registered_with_its_class():
    samples = list(sample_vehicles())
    if not samples:
        pytest.skip("no fixtures/samples/*/truth.json shipped yet")
    registry = {
        row["fields"]["plate"]: row["fields"]["vehicle_class"]
        for row in json.loads(Path(OUTPUT).read_text())
    }
    missing = [v.plate for v in samples if registry.get(v.plate) != v.vehicle_class]
    assert missing == []
