"""The review page's data, the decision endpoint and the access-checked evidence files."""

from __future__ import annotations

import mimetypes
import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from PIL import Image

from violations import services
from violations.access import access_violation_by_id, violations_visible_to
from violations.errors import ViolationNotFound, ViolationServiceError
from violations.hooks import lookup_registry, registry_lookup_configured
from violations.models import Evidence, ReviewDecision, Violation

THUMB_WIDTH_PX = 240
Status = Violation.Status


def _thumbnail(evidence: Evidence, source: Path) -> Path:
    """A small JPEG of an image file, cached beside the store (derived, not evidence)."""
    target = (
        Path(settings.MEDIA_ROOT) / "cache" / "thumbs" / f"{evidence.sha256}_{THUMB_WIDTH_PX}.jpg"
    )
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(source) as original:
            image = original.convert("RGB")
        image.thumbnail((THUMB_WIDTH_PX, THUMB_WIDTH_PX))
        # A private temporary name, so that concurrent requests never mix their bytes.
        fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, "JPEG", quality=82)
        Path(partial).replace(target)
    return target


def evidence_view(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """Stream one evidence file to a member of staff who may see its violation."""
    evidence = Evidence.objects.filter(
        pk=evidence_id, violation__in=violations_visible_to(request.user)
    ).first()
    if evidence is None:
        raise Http404("no such evidence in your cities")
    source = Path(evidence.file.path)
    if not source.is_file():
        raise Http404(f"evidence file {evidence.file.name} is missing: run verify_evidence")
    if request.GET.get("size") == "thumb" and evidence.kind != Evidence.Kind.CLIP:
        source = _thumbnail(evidence, source)
        content_type = "image/jpeg"
    else:
        content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    response = FileResponse(source.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _next_in_queue(request: HttpRequest, after: Violation) -> int | None:
    """The oldest violation still waiting for this user's first review."""
    return (
        violations_visible_to(request.user)
        .filter(status=Status.PENDING)
        .exclude(pk=after.pk)
        .order_by("occurred_at", "id")
        .values_list("pk", flat=True)
        .first()
    )


def review_context(request: HttpRequest, violation_id: int) -> dict[str, Any] | None:
    try:
        violation = access_violation_by_id(request.user, violation_id)
    except ViolationNotFound:
        return None
    evidence = list(violation.evidence.order_by("frame_index", "id"))
    for item in evidence:
        item.role_label = item.role.replace("_", " ")  # type: ignore[attr-defined]
    decisions = list(violation.decisions.select_related("reviewer"))
    user = request.user
    can_second = user.has_perm(services.SECOND_REVIEW_PERMISSION)
    awaiting = violation.status in (Status.AWAITING_SECOND, Status.ESCALATED)
    second_reasons = next(
        (d.data.get("second_review_reasons") for d in reversed(decisions) if d.data), None
    )
    measured = dict(violation.measured)
    over_kmh = (
        violation.speed_kmh - violation.limit_kmh
        if violation.speed_kmh is not None and violation.limit_kmh is not None
        else None
    )
    return {
        "violation": violation,
        "camera": violation.camera,
        "frames": [
            e for e in evidence if e.kind in (Evidence.Kind.FRAME, Evidence.Kind.PLATE_FRAME)
        ],
        "plate_crops": [e for e in evidence if e.kind == Evidence.Kind.PLATE_CROP],
        "clips": [e for e in evidence if e.kind == Evidence.Kind.CLIP],
        "measured_rows": sorted(measured.items()),
        "over_kmh": over_kmh,
        "over_pct": over_kmh / violation.limit_kmh * 100
        if over_kmh and violation.limit_kmh
        else None,
        "candidates": violation.plate_candidates,
        "registry_configured": registry_lookup_configured(),
        "registry": lookup_registry(violation.plate),
        "decisions": decisions,
        "second_reasons": second_reasons,
        "reasons": [(c, label) for c, label in ReviewDecision.Reason.choices if c],
        "can_first_review": violation.status in (Status.PENDING, Status.NEEDS_OWNER),
        "can_approve": violation.status == Status.PENDING and bool(violation.plate),
        "can_second_review": awaiting and can_second and violation.reviewed_by_id != user.pk,
        "awaiting_other": awaiting and (not can_second or violation.reviewed_by_id == user.pk),
        "config_changed": bool(
            violation.calibration_version
            and violation.camera.config_version
            and violation.calibration_version != violation.camera.config_version
        ),
        "next_id": _next_in_queue(request, violation),
        "decide_url": reverse("admin:violations_violation_decide", args=[violation.pk]),
    }


def _apply(request: HttpRequest, violation_id: int) -> Violation:
    action = request.POST.get("action", "")
    note = request.POST.get("note", "").strip()
    reason_code = request.POST.get("reason_code", "")
    user = request.user
    if action == "approve":
        return services.approve_violation(violation_id, reviewer=user, note=note)
    if action == "reject":
        return services.reject_violation(
            violation_id, reviewer=user, reason_code=reason_code, note=note
        )
    if action == "correct":
        return services.correct_plate_and_approve(
            violation_id, reviewer=user, plate=request.POST.get("plate", ""), note=note
        )
    if action == "escalate":
        return services.escalate_violation(violation_id, reviewer=user, note=note)
    if action in ("second_approve", "second_reject"):
        return services.second_review(
            violation_id,
            reviewer=user,
            approve=action == "second_approve",
            reason_code=reason_code,
            note=note,
        )
    raise services.InvalidDecision(f"unknown action {action!r}")


@require_POST
def decide_view(request: HttpRequest, violation_id: int) -> HttpResponse:
    """Apply one decision, then go on to the next violation in the queue."""
    review_url = reverse("admin:violations_violation_change", args=[violation_id])
    try:
        violation = _apply(request, violation_id)
    except ViolationNotFound:
        raise Http404("no such violation in your cities")
    except ViolationServiceError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(review_url)
    messages.success(
        request, f"Violation #{violation.pk}: {violation.get_status_display().lower()}."
    )
    if request.POST.get("stay"):
        return HttpResponseRedirect(review_url)
    next_id = _next_in_queue(request, violation)
    if next_id is None:
        return HttpResponseRedirect(reverse("admin:violations_violation_changelist"))
    return HttpResponseRedirect(reverse("admin:violations_violation_change", args=[next_id]))
