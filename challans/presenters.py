"""What the portal shows of a challan, in the citizen's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challans.models import Challan
from challans.payments import AmountDue, amount_due

STATUS_LABELS: dict[str, Promise] = {
    Challan.Status.ISSUED: gettext_lazy("Unpaid"),
    Challan.Status.PAID: gettext_lazy("Paid"),
    Challan.Status.OVERDUE: gettext_lazy("Overdue"),
    Challan.Status.CANCELLED: gettext_lazy("Cancelled"),
    Challan.Status.CONTESTED: gettext_lazy("Under review (contested)"),
}
KIND_LABELS: dict[str, Promise] = {
    "speeding": gettext_lazy("Over-speeding"),
    "red_light": gettext_lazy("Red-light (signal) violation"),
    "bus_lane": gettext_lazy("Bus-lane violation"),
    "no_entry": gettext_lazy("No-entry violation"),
    "solid_line": gettext_lazy("Solid-line crossing"),
    "wrong_way": gettext_lazy("Wrong-way / one-way"),
}
SETTLED_STATUSES = {Challan.Status.PAID, Challan.Status.CANCELLED}


@dataclass(frozen=True)
class ChallanRow:
    """One challan as the citizen sees it, computed for today's date."""

    challan: Challan
    number: str
    public_token: str
    occurred_at: dt.datetime
    kind_label: str
    location: str
    status: str
    status_label: str
    due_date: dt.date
    due: AmountDue | None  # None once paid or cancelled: nothing is owed

    @property
    def late(self) -> bool:
        return self.due is not None and self.due.late_fee_pkr > 0


def location_of(challan: Challan) -> str:
    camera = challan.violation.camera
    place = camera.location or camera.name
    return f"{place}, {camera.city.name}" if camera.city_id else place


def row_for(challan: Challan, today: dt.date | None = None) -> ChallanRow:
    today = today or timezone.localdate()
    settled = challan.status in SETTLED_STATUSES
    return ChallanRow(
        challan=challan,
        number=challan.number,
        public_token=str(challan.public_token),
        occurred_at=challan.violation.occurred_at,
        kind_label=str(KIND_LABELS.get(challan.violation.kind, challan.violation.kind)),
        location=location_of(challan),
        status=challan.status,
        status_label=str(STATUS_LABELS.get(challan.status, challan.status)),
        due_date=challan.due_date,
        due=None if settled else amount_due(challan, today),
    )


def measured_value(challan: Challan) -> str:
    """The measurement behind the violation, in words: speed, time into red, lane."""
    violation = challan.violation
    if violation.kind == "speeding" and violation.speed_kmh is not None:
        return _("%(speed).0f km/h in a %(limit).0f km/h zone") % {
            "speed": violation.speed_kmh,
            "limit": violation.limit_kmh or violation.camera.speed_limit_kmh,
        }
    if violation.kind == "red_light" and violation.time_into_red_s is not None:
        return _("Crossed the stop line %(seconds).1f s after the signal turned red") % {
            "seconds": violation.time_into_red_s
        }
    if violation.lane_id:
        return _("Recorded in lane %(lane)s") % {"lane": violation.lane_id}
    return ""


def masked_plate(plate: str) -> str:
    """`LEB-5700` → `LEB-57••`: enough to recognise a vehicle, not to look one up."""
    keep = max(len(plate) - 2, 1)
    return plate[:keep] + "••"
