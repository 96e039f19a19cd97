"""Challan numbers (``PSCA-LHR-2026-00012345``) and PSID payment references."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from stdnum import damm

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


def psid_is_valid(psid: str) -> bool:
    """A PSID is 17 digits whose last is the Damm check digit of the first 16.

    Damm catches every single mistyped digit and every swap of two neighbours (Luhn,
    the usual choice, misses 09 <-> 90), the two mistakes people make reading a number
    off paper into a banking app.
    """
    return len(psid) == PSID_LENGTH and psid.isdigit() and damm.is_valid(psid)


def new_psid() -> str:
    """A fresh, unused, unguessable 17-digit payment reference with a check digit.

    The unique constraint on ``Challan.psid`` is the real guard; the lookup only makes a
    collision (1 in 10^15 per pair) cost a retry instead of an IntegrityError.
    """
    while True:
        body = str(secrets.randbelow(9 * 10**15) + 10**15)  # 16 digits, no leading zero
        psid = body + damm.calc_check_digit(body)
        if not Challan.objects.filter(psid=psid).exists():
            return psid
