"""The wardens' workbench: a review queue, a review page, bulk actions and statistics.

Nothing here changes state itself: every decision goes through `violations.services`,
and every record is read-only in the admin (evidence and measurements are never edited).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from violations import services, statistics
from violations.access import violations_visible_to
from violations.admin_filters import (
    CameraFilter,
    PlateConfidenceFilter,
    ReviewerFilter,
    StatusFilter,
)
from violations.admin_views import decide_view, evidence_view, review_context
from violations.charts import stacked_bars
from violations.display import confidence_band, key_frame, measured_summary, plate_crop
from violations.models import Evidence, ReviewDecision, Violation, ViolationStatistics

THUMB_EVIDENCE_KINDS = (Evidence.Kind.FRAME, Evidence.Kind.PLATE_FRAME, Evidence.Kind.PLATE_CROP)


def evidence_url(evidence: Evidence, *, size: str = "") -> str:
    url = reverse("admin:violations_violation_evidence", args=[evidence.pk])
    return f"{url}?size={size}" if size else url


class RejectActionForm(ActionForm):
    reason_code = forms.ChoiceField(
        required=False,
        label="Reason (for reject)",
        choices=[(c, label) for c, label in ReviewDecision.Reason.choices],
    )


class ViolationReviewPermissions:
    """Read-only everywhere; decisions are actions checked again by the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Violation)
class ViolationAdmin(ViolationReviewPermissions, admin.ModelAdmin):
    list_display = (
        "id",
        "thumbnails",
        "occurred",
        "camera_code",
        "kind",
        "measured_value",
        "plate_column",
        "vehicle_class",
        "status",
        "reviewed_by",
    )
    list_display_links = ("id", "thumbnails")
    list_filter = (
        StatusFilter,
        CameraFilter,
        "kind",
        ("occurred_at", admin.DateFieldListFilter),
        PlateConfidenceFilter,
        ReviewerFilter,
    )
    search_fields = ("plate__startswith", "plate_read__exact")
    search_help_text = "Plate, e.g. LEA-1234 (or its beginning, LEA-12)"
    ordering = ("occurred_at", "id")
    list_select_related = ("camera", "reviewed_by")
    list_per_page = 50
    show_full_result_count = False
    actions = ("approve_selected", "reject_selected")
    action_form = RejectActionForm
    change_list_template = "admin/violations/violation/queue.html"
    review_template = "admin/violations/violation/review.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Violation]:
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "evidence",
                    queryset=Evidence.objects.filter(kind__in=THUMB_EVIDENCE_KINDS).only(
                        "id", "violation_id", "kind", "role", "frame_index"
                    ),
                    to_attr="thumb_evidence",
                )
            )
        )
        return violations_visible_to(request.user, queryset)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Violation], search_term: str
    ) -> tuple[QuerySet[Violation], bool]:
        # Plates are stored upper-case; a case-sensitive prefix match can use the index.
        return super().get_search_results(request, queryset, search_term.strip().upper())

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.REVIEW_PERMISSION)

    # --- columns ---

    @admin.display(description="evidence")
    def thumbnails(self, obj: Violation) -> str:
        evidence = getattr(obj, "thumb_evidence", [])
        images = [e for e in (key_frame(evidence), plate_crop(evidence)) if e is not None]
        if not images:
            return "—"
        return format_html_join(
            "",
            '<img src="{}" alt="{}" class="nigran-thumb nigran-thumb-{}" loading="lazy">',
            ((evidence_url(e, size="thumb"), e.get_kind_display(), e.kind) for e in images),
        )

    @admin.display(description="occurred (PKT)", ordering="occurred_at")
    def occurred(self, obj: Violation) -> str:
        return format_html(
            '<span class="nigran-when">{}</span>',
            timezone.localtime(obj.occurred_at).strftime("%d %b %Y %H:%M:%S"),
        )

    @admin.display(description="camera", ordering="camera__code")
    def camera_code(self, obj: Violation) -> str:
        return obj.camera.code

    @admin.display(description="measured")
    def measured_value(self, obj: Violation) -> str:
        return measured_summary(obj)

    @admin.display(description="plate", ordering="plate")
    def plate_column(self, obj: Violation) -> str:
        band = confidence_band(obj.plate_confidence, obj.plate_unreadable)
        confidence = "—" if obj.plate_confidence is None else f"{obj.plate_confidence:.2f}"
        corrected = obj.plate != obj.plate_read and bool(obj.plate)
        return format_html(
            '<span class="nigran-plate">{}</span> <span class="nigran-conf nigran-conf-{}" '
            'title="ANPR confidence">{}</span>{}',
            obj.plate or "unreadable",
            band,
            confidence,
            format_html(' <span class="nigran-corrected">read {}</span>', obj.plate_read or "—")
            if corrected
            else "",
        )

    # --- bulk actions ---

    @admin.action(description="Approve selected violations", permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Violation]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        outcome = services.bulk_approve(ids, reviewer=request.user)
        self._report(request, "approved", outcome)

    @admin.action(
        description="Reject selected violations (choose a reason)", permissions=["review"]
    )
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Violation]) -> None:
        reason_code = request.POST.get("reason_code", "")
        if not reason_code:
            self.message_user(request, "Choose a rejection reason first.", messages.ERROR)
            return
        ids = list(queryset.values_list("pk", flat=True))
        outcome = services.bulk_reject(ids, reviewer=request.user, reason_code=reason_code)
        self._report(request, "rejected", outcome)

    def _report(self, request: HttpRequest, verb: str, outcome: services.BulkOutcome) -> None:
        if outcome.done:
            self.message_user(request, f"{len(outcome.done)} violation(s) {verb}.")
        if outcome.awaiting_second:
            self.message_user(
                request,
                f"{len(outcome.awaiting_second)} need a second review: "
                + ", ".join(f"#{i}" for i in outcome.awaiting_second),
                messages.WARNING,
            )
        for violation_id, why in outcome.refused.items():
            self.message_user(request, f"#{violation_id}: {why}", messages.ERROR)

    # --- pages ---

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "evidence/<int:evidence_id>/",
                wrap(self.evidence),
                name="violations_violation_evidence",
            ),
            path(
                "<int:violation_id>/decide/",
                wrap(self.decide),
                name="violations_violation_decide",
            ),
            *super().get_urls(),
        ]

    def evidence(self, request: HttpRequest, evidence_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return evidence_view(request, evidence_id)

    def decide(self, request: HttpRequest, violation_id: int) -> HttpResponse:
        if not self.has_review_permission(request):
            raise PermissionDenied
        return decide_view(request, violation_id)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {"title": "Review queue", **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            changelist = context["cl"]
            column = list(changelist.list_display).index("occurred")
            newest = changelist.get_query_string({"o": f"-{column}"}, ["p"])
            oldest = changelist.get_query_string({"o": str(column)}, ["p"])
            ordered_newest = changelist.params.get("o", "") in (f"-{column}", [f"-{column}"])
            context.update(
                newest_first_url=newest, oldest_first_url=oldest, newest_first=ordered_newest
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "GET":
            # Decisions are posted to the decide view; nothing is saved through this form.
            return HttpResponseNotAllowed(["GET"])
        try:
            violation_id = int(object_id)
        except ValueError:
            violation_id = -1
        context = review_context(request, violation_id)
        if context is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context.update(
            self.admin_site.each_context(request),
            opts=self.opts,
            title=f"Review violation #{violation_id}",
            can_review=self.has_review_permission(request),
        )
        return TemplateResponse(request, self.review_template, context)


@admin.register(ViolationStatistics)
class ViolationStatisticsAdmin(ViolationReviewPermissions, admin.ModelAdmin):
    """Listed on the admin index as "Statistics"; its changelist is the statistics page."""

    days = 30

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("violations.view_violation")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        visible = violations_visible_to(request.user)
        now = timezone.now()
        today = timezone.localdate(now)
        daily = statistics.daily_counts(visible, days=self.days, today=today)
        labels = [d.strftime("%d %b") for d in daily.days]
        since = now - timedelta(days=self.days)
        histogram = statistics.confidence_histogram(visible.filter(occurred_at__gte=since))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Violations and review statistics",
            "days": self.days,
            "daily": daily,
            "daily_rows": _days_with_violations(daily),
            "kind_chart": stacked_bars(
                labels, daily.by_kind, title=f"Violations per day by kind (last {self.days} days)"
            ),
            "camera_chart": stacked_bars(
                labels, daily.by_camera, title="Violations per day by camera"
            ),
            "backlog": statistics.backlog(visible, now=now),
            "reviewers": statistics.reviewer_rates(visible, since=since),
            "histogram": histogram,
            "confidence_chart": stacked_bars(
                histogram["labels"],
                {"readable plates": histogram["counts"]},
                title=f"Plate reading confidence, last {self.days} days (bin start)",
                width_px=520,
            ),
            "queue_url": reverse("admin:violations_violation_changelist"),
        }
        return TemplateResponse(request, "admin/violations/statistics.html", context)


def _days_with_violations(daily: statistics.DailyCounts) -> list[dict[str, Any]]:
    rows = []
    for i, day in enumerate(daily.days):
        counts = [series[i] for series in daily.by_kind.values()]
        if any(counts):
            rows.append({"day": day, "counts": counts})
    return rows


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ViolationReviewPermissions, admin.ModelAdmin):
    """The append-only audit trail, for reading."""

    list_display = ("decided_at", "violation_id", "decision", "stage", "reviewer", "reason_code")
    list_filter = ("decision", "stage", "reason_code")
    list_select_related = ("reviewer",)
    show_full_result_count = False
    search_fields = ("=violation__id", "=plate_after", "=plate_before")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewDecision]:
        visible = violations_visible_to(request.user)
        return super().get_queryset(request).filter(violation__in=visible)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        decision = self.get_object(request, object_id)
        if decision is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return HttpResponseRedirect(
            reverse("admin:violations_violation_change", args=[decision.violation_id])
        )
