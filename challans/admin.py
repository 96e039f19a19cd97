"""Admin for challans, fines and the registry: the supervisors' back office.

Staff see the challans of their cities only (``StaffProfile``) unless superusers. PDFs
are streamed by an admin view that checks the permission and the city; MEDIA_ROOT is
never served directly.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.clickjacking import xframe_options_sameorigin

from challans.models import (
    Challan,
    ChallanDocument,
    ChallanEvent,
    FineSchedule,
    Notice,
    VehicleRegistration,
)
from challans.services import ChallanActionError, cancel_challan, reissue_challan
from enforcement.models import City
from violations.access import city_ids_for
from violations.models import Violation

SUPERVISOR_PERMISSION = "challans.cancel_challan"

# A bare confirmation page inside the admin chrome; kept here so the admin is one module.
_CONFIRM_TEMPLATE = engines["django"].from_string(
    """{% extends "admin/base_site.html" %}
{% block content %}
<h1>{{ title }}</h1>
<p>{{ challan.number }} · {{ challan.plate }} · Rs {{ challan.amount_pkr }} · {{ challan.get_status_display }}</p>
<form method="post">{% csrf_token %}
{{ form.as_p }}
<input type="submit" class="default" value="{{ verb }}">
<a href="{{ back_url }}" class="button cancel-link">Back</a>
</form>
{% endblock %}"""
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Recorded on the challan",
    )


class ChallanActionForm(ActionForm):
    reason = forms.CharField(
        required=False, max_length=200, help_text="Needed to cancel or re-issue"
    )


def visible_city_codes(request: HttpRequest) -> set[str] | None:
    """City codes the user works for; None for every city (superusers)."""
    city_ids = city_ids_for(request.user)
    if city_ids is None:
        return None
    return set(City.objects.filter(id__in=city_ids).values_list("code", flat=True))


class CityListFilter(admin.SimpleListFilter):
    title = "city"
    parameter_name = "city"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = visible_city_codes(request)
        cities = City.objects.all() if codes is None else City.objects.filter(code__in=codes)
        return [(city.code, city.name) for city in cities]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(city_code=self.value()) if self.value() else queryset


class AmountListFilter(admin.SimpleListFilter):
    title = "amount"
    parameter_name = "amount"
    BANDS = {
        "to2000": (0, 2000, "up to Rs 2,000"),
        "to5000": (2001, 5000, "Rs 2,001 – 5,000"),
        "to10000": (5001, 10000, "Rs 5,001 – 10,000"),
        "over10000": (10001, None, "over Rs 10,000"),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (_, _, label) in self.BANDS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        band = self.BANDS.get(self.value() or "")
        if band is None:
            return queryset
        low, high, _ = band
        queryset = queryset.filter(amount_pkr__gte=low)
        return queryset if high is None else queryset.filter(amount_pkr__lte=high)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DocumentInline(ReadOnlyInline):
    model = ChallanDocument
    fields = ("version", "open_pdf", "sha256", "size_bytes", "reason", "created_at")
    readonly_fields = fields

    @admin.display(description="PDF")
    def open_pdf(self, obj: ChallanDocument) -> str:
        url = reverse("admin:challans_challan_pdf_version", args=[obj.challan_id, obj.version])
        return format_html('<a href="{}" target="_blank">v{}</a>', url, obj.version)


class EventInline(ReadOnlyInline):
    model = ChallanEvent
    fields = ("at", "action", "actor", "note", "data")
    readonly_fields = fields


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ("sent_at", "channel", "purpose", "recipient", "outcome", "detail")
    readonly_fields = fields


@admin.register(Challan)
class ChallanAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status",
        "city_code",
        "camera",
        "plate",
        "violation_kind",
        "amount_pkr",
        "late_fee_pkr",
        "issued_at",
        "due_date",
        "pdf_version",
    )
    list_filter = (
        "status",
        CityListFilter,
        ("violation__camera", admin.RelatedOnlyFieldListFilter),
        ("issued_at", admin.DateFieldListFilter),
        "due_date",
        AmountListFilter,
        "fine_class",
    )
    list_select_related = ("violation__camera",)
    search_fields = ("number", "plate", "psid", "owner_cnic")
    date_hierarchy = "issued_at"
    ordering = ("-issued_at",)
    action_form = ChallanActionForm
    actions = ("cancel_selected", "reissue_selected")
    inlines = (DocumentInline, NoticeInline, EventInline)
    fields = (
        "number",
        "status",
        "supervisor_links",
        "violation_link",
        "registration",
        "plate",
        "owner_cnic",
        "city_code",
        "fine_class",
        "amount_pkr",
        "late_fee_pkr",
        "issued_at",
        "due_date",
        "psid",
        "public_token",
        "pdf_version",
        "pdf_sha256",
        "paid_at",
        "paid_amount_pkr",
        "reminder_sent_at",
        "pdf_preview",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Challan]:
        queryset = super().get_queryset(request).select_related("violation__camera")
        codes = visible_city_codes(request)
        return queryset if codes is None else queryset.filter(city_code__in=codes)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # challans are issued by the service, never typed in

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(SUPERVISOR_PERMISSION))  # type: ignore[union-attr]

    @admin.display(description="camera", ordering="violation__camera__code")
    def camera(self, obj: Challan) -> str:
        return obj.violation.camera.code

    @admin.display(description="violation", ordering="violation__kind")
    def violation_kind(self, obj: Challan) -> str:
        return obj.violation.get_kind_display()

    @admin.display(description="violation")
    def violation_link(self, obj: Challan) -> str:
        url = reverse("admin:violations_violation_change", args=[obj.violation_id])
        return format_html('<a href="{}">{}</a>', url, obj.violation)

    @admin.display(description="supervisor")
    def supervisor_links(self, obj: Challan) -> str:
        links = [
            (reverse("admin:challans_challan_cancel", args=[obj.pk]), "Cancel…"),
            (reverse("admin:challans_challan_reissue", args=[obj.pk]), "Re-issue…"),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description="PDF")
    def pdf_preview(self, obj: Challan) -> str:
        if not obj.pdf:
            return "No PDF yet (rendering, or waiting for the catch-up job)."
        url = reverse("admin:challans_challan_pdf", args=[obj.pk])
        return format_html(
            '<iframe src="{}" title="Challan PDF" style="width:100%;max-width:900px;'
            'height:1000px;border:1px solid #ccc"></iframe><br><a href="{}" target="_blank">'
            "Open the PDF (version {})</a>",
            url,
            url,
            obj.pdf_version,
        )

    # --- views -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:challan_id>/pdf/", wrap(self.pdf_view), name="challans_challan_pdf"),
            path(
                "<int:challan_id>/pdf/v<int:version>/",
                wrap(self.pdf_view),
                name="challans_challan_pdf_version",
            ),
            path(
                "<int:challan_id>/cancel/", wrap(self.cancel_view), name="challans_challan_cancel"
            ),
            path(
                "<int:challan_id>/reissue/",
                wrap(self.reissue_view),
                name="challans_challan_reissue",
            ),
            *super().get_urls(),
        ]

    def _visible_challan(self, request: HttpRequest, challan_id: int) -> Challan:
        """The challan if this staff member may see it; 404 alike for missing and not yours."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        challan = self.get_queryset(request).filter(pk=challan_id).first()
        if challan is None:
            raise Http404("No such challan")
        return challan

    @xframe_options_sameorigin
    def pdf_view(
        self, request: HttpRequest, challan_id: int, version: int | None = None
    ) -> FileResponse:
        challan = self._visible_challan(request, challan_id)
        if version is None:
            if not challan.pdf:
                raise Http404("This challan has no PDF yet")
            stored = challan.pdf
        else:
            document = challan.documents.filter(version=version).first()
            if document is None:
                raise Http404("No such PDF version")
            stored = document.file
        response = FileResponse(stored.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="{challan.number}-v{version or challan.pdf_version}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def cancel_view(self, request: HttpRequest, challan_id: int) -> HttpResponse:
        return self._supervisor_view(
            request, challan_id, cancel_challan, "Cancel challan", "Cancel it"
        )

    def reissue_view(self, request: HttpRequest, challan_id: int) -> HttpResponse:
        return self._supervisor_view(
            request, challan_id, reissue_challan, "Re-issue challan (new PDF version)", "Re-issue"
        )

    def _supervisor_view(
        self, request: HttpRequest, challan_id: int, action: Any, title: str, verb: str
    ) -> HttpResponse:
        challan = self._visible_challan(request, challan_id)
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        back_url = reverse("admin:challans_challan_change", args=[challan.pk])
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                action(challan.pk, actor=request.user, reason=form.cleaned_data["reason"])
            except ChallanActionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"{challan.number}: done ({verb.lower()}).")
            return HttpResponseRedirect(back_url)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "challan": challan,
            "form": form,
            "verb": verb,
            "back_url": back_url,
        }
        return HttpResponse(_CONFIRM_TEMPLATE.render(context, request))

    # --- list actions ------------------------------------------------------------------------

    def _bulk(
        self, request: HttpRequest, queryset: QuerySet[Challan], action: Any, verb: str
    ) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, f"Give a reason to {verb} challans.", messages.ERROR)
            return
        done, refused = 0, []
        for challan in queryset:
            try:
                action(challan.pk, actor=request.user, reason=reason)
                done += 1
            except ChallanActionError as exc:
                refused.append(f"{challan.number}: {exc}")
        self.message_user(request, f"{verb.capitalize()}: {done} challan(s).")
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Cancel selected challans (reason required)", permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Challan]) -> None:
        self._bulk(request, queryset, cancel_challan, "cancel")

    @admin.action(
        description="Re-issue selected challans (new PDF version)", permissions=["cancel"]
    )
    def reissue_selected(self, request: HttpRequest, queryset: QuerySet[Challan]) -> None:
        self._bulk(request, queryset, reissue_challan, "re-issue")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        needs_owner = Violation.objects.filter(status=Violation.Status.NEEDS_OWNER)
        codes = visible_city_codes(request)
        if codes is not None:
            needs_owner = needs_owner.filter(camera__city__code__in=codes)
        count = needs_owner.count()
        if count and request.method == "GET":
            url = reverse("admin:violations_violation_changelist") + "?status__exact=needs_owner"
            self.message_user(
                request,
                format_html(
                    '{} approved violation(s) have no registered owner: <a href="{}">review them</a>.',
                    count,
                    url,
                ),
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


@admin.register(FineSchedule)
class FineScheduleAdmin(admin.ModelAdmin):
    """Amounts are data: supervisors with the change permission edit them here."""

    list_display = ("kind", "fine_class", "amount_pkr", "effective_from", "provisional", "source")
    list_filter = ("kind", "fine_class", "provisional", "effective_from")
    ordering = ("kind", "fine_class", "-effective_from")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Issued challans cite the row they used; add a newer row instead of deleting.
        return False


@admin.register(VehicleRegistration)
class VehicleRegistrationAdmin(admin.ModelAdmin):
    list_display = (
        "plate",
        "make",
        "colour",
        "vehicle_class",
        "fine_class",
        "owner_name",
        "province",
    )
    list_filter = ("province", "vehicle_class", "fine_class")
    search_fields = ("plate", "cnic", "owner_name", "phone", "email")
    ordering = ("plate",)


from challans import admin_contests  # noqa: E402, F401  (registers the contests admin)
