"""Challan numbers (``PSCA-LHR-2026-00012345``) and PSID payment references."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction

from challans.models import Challan, ChallanSequence

PSID_LENGTH = 17


def format_challan_number(prefix: str, city_code: str, year: int, serial: int) -> str:
    return f"{prefix}-{city_code.upper()}-{year:04d}-{serial:08d}"


@transaction.atomic
def next_challan_number(city_code: str, year: int) -> str:
    """Take the next number of a city's yearly series.

    The sequence row stays locked until the caller's transaction commits, so numbers are
    gap-free and a rolled-back issue gives its number back to the next one.
    """
    ChallanSequence.objects.bulk_create(
        [ChallanSequence(city_code=city_code, year=year)], ignore_conflicts=True
    )
    sequence = ChallanSequence.objects.select_for_update().get(city_code=city_code, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return format_challan_number(
        settings.NIGRAN["CHALLAN_PREFIX"], city_code, year, sequence.last_number
    )


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: these are odd positions once the check digit is added
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def psid_is_valid(psid: str) -> bool:
    """A PSID is 17 digits whose last is the Luhn check digit of the first 16."""
    return len(psid) == PSID_LENGTH and psid.isdigit() and _luhn_check_digit(psid[:-1]) == psid[-1]


def new_psid() -> str:
    """A fresh, unused, unguessable 17-digit payment reference with a check digit.

    The unique constraint on ``Challan.psid`` is the real guard; the lookup only makes a
    collision (1 in 10^15 per pair) cost a retry instead of an IntegrityError.
    """
    while True:
        body = str(secrets.randbelow(9 * 10**15) + 10**15)  # 16 digits, no leading zero
        psid = body + _luhn_check_digit(body)
        if not Challan.objects.filter(psid=psid).exists():
            return psid
