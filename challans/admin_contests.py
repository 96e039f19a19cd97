"""Supervisors' admin for contests: read the citizen's reason and photo, uphold or cancel.

Importing this module registers `ContestRequestAdmin` (challans/admin.py imports it).
The decision goes through `challans.contests.decide_contest`, which records who decided,
when and why; the citizen sees the note on the challan page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html

from challans.contests import ContestError, decide_contest
from challans.models import ContestRequest
from challans.services import ChallanActionError

DECISIONS = [
    ("", "— choose —"),
    ("uphold", "Uphold the challan (the fine stands)"),
    ("cancel", "Cancel the challan"),
]


class ContestDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(choices=DECISIONS, required=False)

    class Meta:
        model = ContestRequest
        fields = ["decision", "decision_note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") and "decision_note" not in self.fields:
            raise forms.ValidationError("This contest was already decided; a decision is final.")
        if cleaned.get("decision") and not (cleaned.get("decision_note") or "").strip():
            self.add_error(
                "decision_note", "Write the reason for the decision; the citizen sees it."
            )
        return cleaned


@admin.register(ContestRequest)
class ContestRequestAdmin(admin.ModelAdmin):
    form = ContestDecisionForm
    list_display = ["id", "challan_link", "status", "submitted_at", "decided_by", "decided_at"]
    list_filter = ["status", "submitted_at"]
    list_select_related = ["challan", "decided_by"]
    search_fields = ["challan__number"]
    date_hierarchy = "submitted_at"
    readonly_fields = [
        "challan_link",
        "challan_status",
        "reason",
        "photo_link",
        "photo_sha256",
        "submitted_at",
        "status",
        "decided_by",
        "decided_at",
    ]
    fieldsets = [
        (
            "The citizen's contest",
            {
                "fields": [
                    "challan_link",
                    "challan_status",
                    "reason",
                    "photo_link",
                    "photo_sha256",
                    "submitted_at",
                ]
            },
        ),
        (
            "Decision",
            {"fields": ["status", "decision", "decision_note", "decided_by", "decided_at"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # contests come from citizens through the portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # part of the audit trail

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != ContestRequest.Status.PENDING:
            fields.append("decision_note")  # a decision is final
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != ContestRequest.Status.PENDING:
            return [
                (name, {"fields": [f for f in opts["fields"] if f != "decision"]})
                for name, opts in self.fieldsets
            ]
        return self.fieldsets

    @admin.display(description="Challan")
    def challan_link(self, obj: ContestRequest) -> str:
        try:
            url = reverse("admin:challans_challan_change", args=[obj.challan_id])
        except NoReverseMatch:  # Challan itself is not registered in this admin site
            return obj.challan.number
        return format_html('<a href="{}">{}</a>', url, obj.challan.number)

    @admin.display(description="Challan status")
    def challan_status(self, obj: ContestRequest) -> str:
        return obj.challan.get_status_display()

    @admin.display(description="Photo")
    def photo_link(self, obj: ContestRequest) -> str:
        if not obj.photo:
            return "—"
        url = reverse("admin:challans_contestrequest_photo", args=[obj.pk])
        return format_html('<a href="{0}"><img src="{0}" alt="Contest photo" width="320"></a>', url)

    def get_urls(self) -> list[URLPattern]:
        photo_view = self.admin_site.admin_view(self.photo_view)
        return [
            path("<int:pk>/photo/", photo_view, name="challans_contestrequest_photo"),
            *super().get_urls(),
        ]

    def photo_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        """Stream the citizen's photo to staff who may see contests (it is never public)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        contest = get_object_or_404(ContestRequest, pk=pk)
        if not contest.photo:
            raise PermissionDenied
        content_type = "image/png" if (contest.photo.name or "").endswith(".png") else "image/jpeg"
        return FileResponse(contest.photo.open("rb"), content_type=content_type)

    def save_model(
        self, request: HttpRequest, obj: ContestRequest, form: Any, change: bool
    ) -> None:
        decision = form.cleaned_data.get("decision")
        if not decision:
            return  # nothing to record: the note alone is not a decision
        try:
            decide_contest(
                obj.pk,
                cancel=decision == "cancel",
                supervisor=request.user,
                note=form.cleaned_data["decision_note"],
            )
        except (ContestError, ChallanActionError, PermissionDenied) as error:
            self.message_user(request, str(error), level=messages.ERROR)
        else:
            self.message_user(request, f"Decision recorded: {decision}.", level=messages.SUCCESS)
