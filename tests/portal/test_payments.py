"""The payment gateway's callback: signed, fresh, the right amount, recorded exactly once."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from challans.models import Challan, ChallanEvent, Payment
from challans.payments import sign

URL = "/api/payments/callback/"
PAID_AT = timezone.now().replace(microsecond=0).isoformat()


def body_for(
    challan: Challan, *, amount: int | None = None, reference: str = "1LINK-0001"
) -> bytes:
    payload = {
        "psid": challan.psid,
        "amount": challan.amount_pkr if amount is None else amount,
        "gateway_reference": reference,
        "paid_at": PAID_AT,
    }
    return json.dumps(payload).encode()


def post(body: bytes, *, timestamp: int | None = None, signature: str | None = None) -> Any:
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    return Client().post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-Nigran-Timestamp": timestamp_text,
            "X-Nigran-Signature": signature or sign(body, timestamp_text),
        },
    )


@pytest.fixture
def unpaid(make_challan) -> Challan:
    return make_challan(issued_days_ago=0, due_in_days=9)


def test_a_signed_callback_marks_the_challan_paid(unpaid: Challan) -> None:
    response = post(body_for(unpaid))
    assert response.status_code == 200
    assert response.json() == {"status": "recorded", "psid": unpaid.psid}
    unpaid.refresh_from_db()
    assert unpaid.status == Challan.Status.PAID
    assert unpaid.paid_amount_pkr == 5000
    assert unpaid.paid_at is not None and timezone.is_aware(unpaid.paid_at)
    assert ChallanEvent.objects.filter(challan=unpaid, action="paid").count() == 1


def test_the_same_payment_twice_is_recorded_once(unpaid: Challan) -> None:
    body = body_for(unpaid)
    first = post(body)
    second = post(body, timestamp=int(time.time()) + 1)
    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "already_recorded"
    assert Payment.objects.filter(challan=unpaid).count() == 1
    assert ChallanEvent.objects.filter(challan=unpaid, action="paid").count() == 1


def test_a_forged_signature_is_refused_and_logged(unpaid: Challan, caplog) -> None:
    body = body_for(unpaid)
    with caplog.at_level(logging.WARNING, logger="challans.payments"):
        forged = post(body, signature=sign(body, str(int(time.time())), secret="guessed"))
    assert forged.status_code == 401
    assert forged.json()["error"] == "bad_signature"
    assert "payment callback refused: bad_signature" in caplog.text
    unpaid.refresh_from_db()
    assert unpaid.status == Challan.Status.ISSUED
    assert not Payment.objects.exists()


def test_a_body_changed_after_signing_is_refused(unpaid: Challan) -> None:
    timestamp = str(int(time.time()))
    signature = sign(body_for(unpaid, amount=1), timestamp)
    response = post(body_for(unpaid), timestamp=int(timestamp), signature=signature)
    assert response.status_code == 401


def test_an_unsigned_callback_is_refused(unpaid: Challan) -> None:
    response = Client().post(URL, data=body_for(unpaid), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"] == "unsigned"


def test_a_stale_timestamp_is_refused_even_with_a_valid_signature(unpaid: Challan, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="challans.payments"):
        stale = post(body_for(unpaid), timestamp=int(time.time()) - 301)
    assert stale.status_code == 401
    assert stale.json()["error"] == "stale"
    assert "refused: stale" in caplog.text
    assert not Payment.objects.exists()


def test_a_replayed_reference_with_a_different_body_is_refused(
    unpaid: Challan, make_challan, caplog
) -> None:
    assert post(body_for(unpaid)).status_code == 200
    other = make_challan(issued_days_ago=0, due_in_days=9)
    with caplog.at_level(logging.WARNING, logger="challans.payments"):
        replay = post(body_for(other))  # same gateway reference, another PSID
    assert replay.status_code == 409
    assert replay.json()["error"] == "replay"
    assert "refused: replay" in caplog.text
    other.refresh_from_db()
    assert other.status == Challan.Status.ISSUED


def test_a_wrong_amount_is_refused_and_logged(unpaid: Challan, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="challans.payments"):
        short = post(body_for(unpaid, amount=4999))
    assert short.status_code == 422
    assert short.json()["error"] == "wrong_amount"
    assert "refused: wrong_amount" in caplog.text
    unpaid.refresh_from_db()
    assert unpaid.status == Challan.Status.ISSUED


def test_after_the_due_date_only_the_doubled_amount_is_accepted(make_challan) -> None:
    late = make_challan(issued_days_ago=400, due_in_days=-390)
    assert post(body_for(late, reference="R-1")).status_code == 422
    assert post(body_for(late, amount=10000, reference="R-2")).status_code == 200
    late.refresh_from_db()
    assert late.status == Challan.Status.PAID and late.paid_amount_pkr == 10000


def test_an_unknown_psid_is_refused(unpaid: Challan) -> None:
    body = json.dumps(
        {"psid": "99999999999999999", "amount": 5000, "gateway_reference": "X", "paid_at": PAID_AT}
    ).encode()
    assert post(body).status_code == 422


def test_a_cancelled_challan_cannot_be_paid(unpaid: Challan) -> None:
    Challan.objects.filter(pk=unpaid.pk).update(status=Challan.Status.CANCELLED)
    response = post(body_for(unpaid))
    assert response.status_code == 409
    assert response.json()["error"] == "not_payable"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"psid": "1", "amount": "5000", "gateway_reference": "r", "paid_at": "2026-11-24T10:00:00Z"}',
        b'{"psid": "1", "amount": 5000, "gateway_reference": "r", "paid_at": "2026-11-24T10:00:00"}',
        b'{"psid": "1", "amount": 5000}',
    ],
)
def test_a_malformed_body_is_refused(db: None, payload: bytes) -> None:
    assert post(payload).status_code == 400


def test_the_callback_accepts_only_post(db: None) -> None:
    assert Client().get(URL).status_code == 405
