"""Challan numbers and PSIDs."""

import pytest
from stdnum import damm

from challans.numbering import new_psid, next_challan_number, psid_is_valid


@pytest.mark.django_db
def test_numbers_count_up_per_city_and_year():
    assert next_challan_number("LHR", 2026) == "PSCA-LHR-2026-00000001"
    assert next_challan_number("LHR", 2026) == "PSCA-LHR-2026-00000002"
    assert next_challan_number("RWP", 2026) == "PSCA-RWP-2026-00000001"
    assert next_challan_number("LHR", 2027) == "PSCA-LHR-2027-00000001"


@pytest.mark.django_db
def test_the_prefix_comes_from_settings(settings):
    settings.NIGRAN = {**settings.NIGRAN, "CHALLAN_PREFIX": "NGN"}
    assert next_challan_number("FSD", 2026) == "NGN-FSD-2026-00000001"


@pytest.mark.django_db
def test_psids_are_17_digits_with_a_valid_check_digit_and_differ():
    psids = {new_psid() for _ in range(200)}
    assert len(psids) == 200
    assert all(len(p) == 17 and p.isdigit() and p[0] != "0" for p in psids)
    assert all(psid_is_valid(p) for p in psids)


@pytest.mark.django_db
def test_a_mistyped_psid_fails_the_check_digit():
    psid = new_psid()
    for position in range(len(psid)):
        for digit in "0123456789".replace(psid[position], ""):
            assert not psid_is_valid(psid[:position] + digit + psid[position + 1 :])
    for position in range(len(psid) - 1):
        swapped = psid[:position] + psid[position + 1] + psid[position] + psid[position + 2 :]
        assert psid[position] == psid[position + 1] or not psid_is_valid(swapped)
    assert not psid_is_valid(psid[:-1])


def test_every_neighbour_swap_is_caught_even_09_and_90():
    # The pair Luhn cannot tell apart: a PSID with "09" must not validate as "90".
    body = "1234567890912345"
    psid = body + damm.calc_check_digit(body)
    assert psid_is_valid(psid)
    assert not psid_is_valid(psid.replace("09", "90", 1))
