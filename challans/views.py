"""The citizens' e-challan portal: look up, see, download, verify, contest; the payment callback.

Views only parse input and render; access is decided in `challans.access`, state changes
happen in `challans.payments` and `challans.contests`.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from challans import ratelimit
from challans.access import (
    ChallanUnavailable,
    access_challan_by_token,
    forget_access,
    grant_access,
    granted_tokens,
)
from challans.contests import ContestError, contest_deadline, contest_refusal, submit_contest
from challans.fines import late_total_pkr
from challans.forms import ContestForm, NumberLookupForm, VehicleLookupForm
from challans.headers import portal_headers
from challans.links import LinkExpired, LinkInvalid, evidence_id_from, evidence_url
from challans.models import Challan
from challans.payments import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    PaymentRefused,
    handle_callback,
)
from challans.presenters import masked_plate, measured_value, row_for
from violations.models import Evidence

log = logging.getLogger("challans.portal")

PLATE_CROP = Evidence.Kind.PLATE_CROP
IMAGE_EVIDENCE_KINDS = [
    Evidence.Kind.FRAME,
    Evidence.Kind.PLATE_FRAME,
    Evidence.Kind.PLATE_CROP,
]


def _unavailable(request: HttpRequest, status: int = 404, expired: bool = False) -> HttpResponse:
    return render(request, "challans/portal/unavailable.html", {"expired": expired}, status=status)


@portal_headers
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Both look-up forms; a match grants the session access and redirects to the list."""
    by = request.POST.get("by") if request.method == "POST" else None
    vehicle_form = VehicleLookupForm(request.POST if by == "vehicle" else None, prefix="v")
    number_form = NumberLookupForm(request.POST if by == "number" else None, prefix="n")
    context = {"vehicle_form": vehicle_form, "number_form": number_form}
    form = vehicle_form if by == "vehicle" else number_form if by == "number" else None
    if form is None or not form.is_valid():
        return render(request, "challans/portal/lookup.html", context)

    cnic = form.cleaned_data["cnic"]
    if form is vehicle_form:
        scope, subject = "plate", form.cleaned_data["plate"]
        found = Challan.objects.filter(plate=subject, owner_cnic=cnic)
    else:
        scope, subject = "number", form.cleaned_data["number"]
        found = Challan.objects.filter(number=subject, owner_cnic=cnic)
    try:
        ratelimit.check_lookup(
            client_ip=ratelimit.client_ip(request),
            subject_scope=scope,
            subject=subject,
            cnic=cnic,
        )
    except ratelimit.RateLimited as limited:
        log.warning("look-up refused: %s", limited)
        minutes = max(1, round(limited.retry_after_s / 60))
        context["rate_limited_minutes"] = minutes
        response = render(request, "challans/portal/lookup.html", context, status=429)
        response["Retry-After"] = str(limited.retry_after_s)
        return response

    challans = list(found.only("id", "public_token"))
    if not challans:
        # The same words whether the plate is unknown, the CNIC differs or nothing is owed.
        context["not_found"] = True
        return render(request, "challans/portal/lookup.html", context)
    grant_access(request, challans)
    return redirect("portal:results")


@portal_headers
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    tokens = granted_tokens(request)
    challans = (
        Challan.objects.filter(public_token__in=tokens)
        .select_related("violation__camera__city")
        .order_by("-issued_at")
    )
    rows = [row_for(challan) for challan in challans]
    if not rows:
        return redirect("portal:lookup")
    plates = sorted({row.challan.plate for row in rows})
    return render(request, "challans/portal/results.html", {"rows": rows, "plates": plates})


@portal_headers
@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    """End this device's access to the challans it looked up (shared phones, cafés)."""
    forget_access(request)
    return redirect("portal:lookup")


@portal_headers
@require_GET
def challan_detail(request: HttpRequest, public_token: UUID) -> HttpResponse:
    try:
        challan = access_challan_by_token(request, public_token)
    except ChallanUnavailable:
        return _unavailable(request)
    evidence = list(
        challan.violation.evidence.filter(kind__in=IMAGE_EVIDENCE_KINDS).order_by(
            "frame_index", "id"
        )
    )
    now = timezone.now()
    context = {
        "row": row_for(challan),
        "challan": challan,
        "violation": challan.violation,
        "measured": measured_value(challan),
        "frames": [(e, evidence_url(e, challan)) for e in evidence if e.kind != PLATE_CROP],
        "plate_crops": [(e, evidence_url(e, challan)) for e in evidence if e.kind == PLATE_CROP],
        "contests": list(challan.contests.all()),
        "contest_refusal": contest_refusal(challan, now),
        "contest_deadline": contest_deadline(challan),
        "has_pdf": bool(challan.pdf),
        "late_total_pkr": late_total_pkr(challan.amount_pkr),
    }
    return render(request, "challans/portal/detail.html", context)


@portal_headers
@require_GET
def evidence_file(request: HttpRequest, public_token: UUID, signed: str) -> HttpResponseBase:
    """Serve one evidence image after checking access, link signature, age and checksum."""
    try:
        challan = access_challan_by_token(request, public_token)
        evidence_id = evidence_id_from(signed, challan)
    except ChallanUnavailable:
        return _unavailable(request)
    except LinkExpired:
        return _unavailable(request, status=410, expired=True)
    except LinkInvalid:
        log.warning("tampered evidence link for challan %s", challan.number)
        return _unavailable(request)
    evidence = Evidence.objects.filter(
        pk=evidence_id, violation_id=challan.violation_id, kind__in=IMAGE_EVIDENCE_KINDS
    ).first()
    if evidence is None:
        return _unavailable(request)
    with evidence.file.open("rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != evidence.sha256:
        # Never show an image that is not the one recorded: it would not be evidence.
        log.error("evidence %s fails its SHA-256 check; not served", evidence.pk)
        return _unavailable(request)
    content_type = mimetypes.guess_type(evidence.file.name or "")[0] or "application/octet-stream"
    return HttpResponse(content, content_type=content_type)


@portal_headers
@require_GET
def challan_pdf(request: HttpRequest, public_token: UUID) -> HttpResponseBase:
    try:
        challan = access_challan_by_token(request, public_token)
    except ChallanUnavailable:
        return _unavailable(request)
    if not challan.pdf:
        return _unavailable(request)
    with challan.pdf.open("rb") as handle:
        content = handle.read()
    if challan.pdf_sha256 and hashlib.sha256(content).hexdigest() != challan.pdf_sha256:
        log.error("the PDF of challan %s fails its SHA-256 check; not served", challan.number)
        return _unavailable(request)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="challan-{challan.number}.pdf"'
    return response


@portal_headers
@require_http_methods(["GET", "POST"])
def contest(request: HttpRequest, public_token: UUID) -> HttpResponse:
    try:
        challan = access_challan_by_token(request, public_token)
    except ChallanUnavailable:
        return _unavailable(request)
    refusal = contest_refusal(challan, timezone.now())
    form = ContestForm(request.POST or None, request.FILES or None)
    context = {"challan": challan, "form": form, "refusal": refusal}
    if refusal is None and request.method == "POST" and form.is_valid():
        try:
            submit_contest(
                challan.pk,
                reason=form.cleaned_data["reason"],
                photo=form.cleaned_data["photo"],
                photo_format=getattr(form, "photo_format", None),
            )
        except ContestError as error:
            context["refusal"] = str(error)
        else:
            messages.success(request, _("Your contest was received. A supervisor will review it."))
            return redirect("portal:challan", public_token=challan.public_token)
    status = 400 if request.method == "POST" else 200
    return render(request, "challans/portal/contest.html", context, status=status)


@portal_headers(private=False)
@require_GET
def verify(request: HttpRequest, public_token: UUID) -> HttpResponse:
    """What the QR code on a printed challan opens: genuine or not, and its status."""
    challan = (
        Challan.objects.select_related("violation__camera__city")
        .filter(public_token=public_token)
        .first()
    )
    if challan is None:
        return render(request, "challans/portal/verify.html", {"genuine": False}, status=404)
    context = {
        "genuine": True,
        "row": row_for(challan),
        "challan": challan,
        "plate_masked": masked_plate(challan.plate),
    }
    return render(request, "challans/portal/verify.html", context)


@csrf_exempt  # machine-to-machine: authenticated by the HMAC signature instead
@require_POST
def payment_callback(request: HttpRequest) -> JsonResponse:
    try:
        result = handle_callback(
            request.body, request.META.get(TIMESTAMP_HEADER), request.META.get(SIGNATURE_HEADER)
        )
    except PaymentRefused as refused:
        return JsonResponse(
            {"error": refused.code, "detail": str(refused)}, status=refused.http_status
        )
    return JsonResponse(result)
