"""Figures for the admin statistics page, over the violations a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, FloatField, Max, Min, Q, QuerySet
from django.db.models.functions import Cast, Floor, TruncDate
from django.utils import timezone

from violations.models import KIND_LABELS, ReviewDecision, Violation

BACKLOG_STATUSES = (
    Violation.Status.PENDING,
    Violation.Status.AWAITING_SECOND,
    Violation.Status.ESCALATED,
    Violation.Status.NEEDS_OWNER,
)
_AGE_BUCKETS_H = ((0, 1, "< 1 h"), (1, 24, "1–24 h"), (24, 72, "1–3 days"), (72, None, "> 3 days"))


@dataclass(frozen=True)
class DailyCounts:
    days: list[date]
    by_kind: dict[str, list[int]]
    by_camera: dict[str, list[int]]


def daily_counts(violations: QuerySet[Violation], *, days: int, today: date) -> DailyCounts:
    """Violations per day (local time) for the last ``days`` days, by kind and by camera."""
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        violations.filter(occurred_at__gte=start)
        .annotate(day=TruncDate("occurred_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "kind", "camera__code")
        .annotate(n=Count("id"))
    )
    day_list = [first + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(day_list)}
    by_kind: dict[str, list[int]] = {}
    by_camera: dict[str, list[int]] = {}
    for row in rows:
        i = index.get(row["day"])
        if i is None:
            continue
        label = KIND_LABELS.get(row["kind"], row["kind"])
        by_kind.setdefault(label, [0] * days)[i] += row["n"]
        by_camera.setdefault(row["camera__code"], [0] * days)[i] += row["n"]
    return DailyCounts(days=day_list, by_kind=by_kind, by_camera=by_camera)


def backlog(violations: QuerySet[Violation], *, now: datetime) -> dict[str, Any]:
    """What waits for review, by status, with the age of the oldest and age buckets."""
    waiting = violations.filter(status__in=BACKLOG_STATUSES)
    statuses = dict(Violation.Status.choices)
    by_status = [
        {
            "status": statuses[row["status"]],
            "count": row["n"],
            "oldest": row["oldest"],
            "age": now - row["oldest"] if row["oldest"] else None,
        }
        for row in waiting.values("status").annotate(n=Count("id"), oldest=Min("created_at"))
    ]
    buckets = {}
    for i, (low_h, high_h, _label) in enumerate(_AGE_BUCKETS_H):
        condition = Q(created_at__lte=now - timedelta(hours=low_h))
        if high_h is not None:
            condition &= Q(created_at__gt=now - timedelta(hours=high_h))
        buckets[f"bucket_{i}"] = Count("id", filter=condition)
    counts = waiting.aggregate(**buckets)
    ages = {label: counts[f"bucket_{i}"] for i, (_, _, label) in enumerate(_AGE_BUCKETS_H)}
    return {"by_status": by_status, "age_buckets": ages, "total": sum(ages.values())}


def reviewer_rates(violations: QuerySet[Violation], *, since: datetime) -> list[dict[str, Any]]:
    """Per reviewer since a time: decisions, approvals, rejections, escalations, rate."""
    approve = [
        ReviewDecision.Decision.APPROVE,
        ReviewDecision.Decision.CORRECT_AND_APPROVE,
        ReviewDecision.Decision.SECOND_APPROVE,
    ]
    reject = [ReviewDecision.Decision.REJECT, ReviewDecision.Decision.SECOND_REJECT]
    rows = (
        ReviewDecision.objects.filter(
            violation__in=violations, reviewer__isnull=False, decided_at__gte=since
        )
        .values("reviewer__username")
        .annotate(
            decisions=Count("id"),
            approved=Count("id", filter=Q(decision__in=approve)),
            rejected=Count("id", filter=Q(decision__in=reject)),
            escalated=Count("id", filter=Q(decision=ReviewDecision.Decision.ESCALATE)),
            corrected=Count("id", filter=Q(decision=ReviewDecision.Decision.CORRECT_AND_APPROVE)),
            last=Max("decided_at"),
        )
        .order_by("-decisions")
    )
    result = []
    for row in rows:
        decided = row["approved"] + row["rejected"]
        result.append({**row, "approval_rate": row["approved"] / decided if decided else None})
    return result


def confidence_histogram(violations: QuerySet[Violation], *, bins: int = 10) -> dict[str, Any]:
    """Counts of plate-reading confidence in ``bins`` equal bins over [0, 1]."""
    rows = (
        violations.filter(plate_unreadable=False, plate_confidence__isnull=False)
        .annotate(
            bin=Floor(Cast(F("plate_confidence"), FloatField()) * bins),
        )
        .values("bin")
        .annotate(n=Count("id"))
    )
    counts = [0] * bins
    for row in rows:
        i = min(max(int(row["bin"]), 0), bins - 1)
        counts[i] += row["n"]
    labels = [f"{i / bins:.1f}" for i in range(bins)]
    unreadable = violations.filter(Q(plate_unreadable=True) | Q(plate_confidence__isnull=True))
    return {"labels": labels, "counts": counts, "unreadable": unreadable.count()}
