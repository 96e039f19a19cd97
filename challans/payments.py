"""What a challan costs today, and the payment gateway's callback: verify, then record once.

The gateway (bank / 1Link style) POSTs a JSON body
`{"psid": "...", "amount": 5000, "gateway_reference": "...", "paid_at": "ISO 8601"}`
with headers `X-Nigran-Timestamp` (Unix seconds) and `X-Nigran-Signature`
(hex HMAC-SHA256 of `timestamp + "." + body` with `NIGRAN["PAYMENT_HMAC_SECRET"]`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from challans import services
from challans.models import Challan, ChallanEvent, Payment

log = logging.getLogger("challans.payments")

TIMESTAMP_HEADER = "HTTP_X_NIGRAN_TIMESTAMP"
SIGNATURE_HEADER = "HTTP_X_NIGRAN_SIGNATURE"
MAX_CLOCK_SKEW_S = 300
PAYABLE_STATUSES = {Challan.Status.ISSUED, Challan.Status.OVERDUE, Challan.Status.CONTESTED}


@dataclass(frozen=True)
class AmountDue:
    fine_pkr: int
    late_fee_pkr: int
    total_pkr: int


def amount_due(challan: Challan, on: dt.date) -> AmountDue:
    """The fine, late fee and total owed on `on`, by challans.services' rule."""
    fine_pkr, late_fee_pkr, total_pkr = services.amount_due(challan, on)
    return AmountDue(int(fine_pkr), int(late_fee_pkr), int(total_pkr))


class PaymentRefused(Exception):
    """A callback we will not record; `http_status` and `code` go back to the gateway."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


@dataclass(frozen=True)
class GatewayPayment:
    psid: str
    amount_pkr: int
    gateway_reference: str
    paid_at: dt.datetime


def sign(body: bytes, timestamp: str, secret: str | None = None) -> str:
    """The signature the gateway must send for `body` at `timestamp`."""
    key = (secret or settings.NIGRAN["PAYMENT_HMAC_SECRET"]).encode()
    return hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, timestamp: str | None, signature: str | None) -> None:
    """Raises PaymentRefused unless the signature matches and the timestamp is fresh."""
    if not timestamp or not signature:
        raise PaymentRefused("unsigned", "timestamp and signature headers are required", 401)
    try:
        timestamp_s = int(timestamp)
    except ValueError:
        raise PaymentRefused("bad_timestamp", "timestamp must be Unix seconds", 401)
    if abs(time.time() - timestamp_s) > MAX_CLOCK_SKEW_S:
        raise PaymentRefused("stale", f"timestamp is more than {MAX_CLOCK_SKEW_S} s off", 401)
    if not hmac.compare_digest(sign(body, timestamp), signature.strip().lower()):
        raise PaymentRefused("bad_signature", "signature does not match the body", 401)


def parse_callback(body: bytes) -> GatewayPayment:
    """Parse and validate the JSON body. Raises PaymentRefused (400) on a malformed one."""
    try:
        data: Any = json.loads(body)
        psid = str(data["psid"])
        amount = data["amount"]
        reference = str(data["gateway_reference"])
        paid_at = parse_datetime(str(data["paid_at"]))
    except (ValueError, KeyError, TypeError):
        raise PaymentRefused(
            "malformed", "body needs psid, amount, gateway_reference, paid_at", 400
        )
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PaymentRefused("malformed", "amount must be a positive whole number of rupees", 400)
    if paid_at is None or timezone.is_naive(paid_at):
        raise PaymentRefused("malformed", "paid_at must be ISO 8601 with a UTC offset", 400)
    if not (1 <= len(reference) <= 64) or not (1 <= len(psid) <= 17):
        raise PaymentRefused("malformed", "psid or gateway_reference has a bad length", 400)
    return GatewayPayment(psid, amount, reference, paid_at)


def _same_payment(existing: Payment, payment: GatewayPayment) -> bool:
    return (
        existing.psid == payment.psid
        and existing.amount_pkr == payment.amount_pkr
        and existing.paid_at == payment.paid_at
    )


@transaction.atomic
def record_payment(payment: GatewayPayment) -> tuple[Payment, bool]:
    """Mark the challan paid once; return (payment row, whether this call created it).

    The same reference with the same body again is answered as already recorded; the
    same reference with a different body is refused as a replay.
    """
    challan = Challan.objects.select_for_update().filter(psid=payment.psid).first()
    if challan is None:
        raise PaymentRefused("unknown_psid", "no challan has this PSID", 422)
    existing = Payment.objects.filter(gateway_reference=payment.gateway_reference).first()
    if existing is not None:
        if _same_payment(existing, payment):
            return existing, False
        raise PaymentRefused("replay", "gateway_reference was used with a different body", 409)
    if challan.status not in PAYABLE_STATUSES:
        raise PaymentRefused("not_payable", f"challan is {challan.status}", 409)
    due = amount_due(challan, timezone.localdate(payment.paid_at))
    if payment.amount_pkr != due.total_pkr:
        raise PaymentRefused(
            "wrong_amount", f"amount {payment.amount_pkr} is not the {due.total_pkr} due", 422
        )
    try:
        with transaction.atomic():
            row = Payment.objects.create(
                challan=challan,
                psid=payment.psid,
                gateway_reference=payment.gateway_reference,
                amount_pkr=payment.amount_pkr,
                paid_at=payment.paid_at,
            )
    except IntegrityError:  # the same reference arrived concurrently for another PSID
        raise PaymentRefused("replay", "gateway_reference was already used", 409)
    challan.status = Challan.Status.PAID
    challan.paid_at = payment.paid_at
    challan.paid_amount_pkr = payment.amount_pkr
    challan.save(update_fields=["status", "paid_at", "paid_amount_pkr", "updated_at"])
    ChallanEvent.objects.create(
        challan=challan,
        action="paid",
        note=f"Paid through the gateway, reference {payment.gateway_reference}",
        data={
            "gateway_reference": payment.gateway_reference,
            "amount_pkr": payment.amount_pkr,
            "fine_pkr": due.fine_pkr,
            "late_fee_pkr": due.late_fee_pkr,
            "paid_at": payment.paid_at.isoformat(),
        },
    )
    return row, True


def handle_callback(body: bytes, timestamp: str | None, signature: str | None) -> dict[str, Any]:
    """Verify, parse and record one callback; log and re-raise every refusal."""
    try:
        verify_signature(body, timestamp, signature)
        payment = parse_callback(body)
        row, created = record_payment(payment)
    except PaymentRefused as refused:
        log.warning(
            "payment callback refused: %s (%s); body sha256=%s",
            refused.code,
            refused,
            hashlib.sha256(body).hexdigest(),
        )
        raise
    if created:
        log.info("payment %s recorded for PSID %s", row.gateway_reference, row.psid)
    return {"status": "recorded" if created else "already_recorded", "psid": row.psid}
