"""From a challan row to its PDF: build the sheet, render, store a version exactly once."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from challans.fines import late_fee_rule, late_total_pkr
from challans.models import Challan, ChallanDocument
from challans.pdf import ChallanSheet, SheetImage, render_challan_pdf
from violations.models import Evidence, Violation

logger = logging.getLogger(__name__)


class DocumentConflict(RuntimeError):
    """Storage refused the derived PDF name; the file would not be where the row says."""


def verify_url(challan: Challan) -> str:
    base = str(settings.NIGRAN["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/verify/{challan.public_token}/"


def mask_cnic(cnic: str) -> str:
    """``3520212345673`` -> ``35202-*******-3``: enough for the owner to recognise it."""
    if len(cnic) != 13:
        return "*" * len(cnic)
    return f"{cnic[:5]}-*******-{cnic[-1]}"


def describe_measurement(violation: Violation) -> str:
    """The measured value in words: ``87 km/h in a 60 km/h zone``, ``red for 2.4 s``."""
    if violation.kind == "speeding" and violation.speed_kmh is not None:
        text = f"{violation.speed_kmh:.0f} km/h"
        if violation.limit_kmh is not None:
            text += f" in a {violation.limit_kmh:.0f} km/h zone"
        return text
    if violation.kind == "red_light" and violation.time_into_red_s is not None:
        return f"Crossed the stop line with the signal red for {violation.time_into_red_s:.1f} s"
    lane = f" (lane {violation.lane_id})" if violation.lane_id else ""
    line = f" (line {violation.line_id})" if violation.line_id else ""
    described = {
        "bus_lane": f"Drove in the bus lane{lane}",
        "no_entry": f"Entered a no-entry lane{lane}",
        "solid_line": f"Crossed a solid lane line{line}",
        "wrong_way": f"Drove against the direction of travel{lane}",
    }.get(violation.kind)
    return described or str(violation.get_kind_display())


def _evidence_label(evidence: Evidence, index: int) -> str:
    label = evidence.get_kind_display()
    if evidence.role and evidence.role != evidence.kind:
        label += f" ({evidence.role.replace('_', ' ')})"
    if evidence.captured_at is not None:
        local = timezone.localtime(evidence.captured_at)
        label += f" · {local:%H:%M:%S}.{local.microsecond // 100000} PKT"
    return f"{index}. {label}"


def build_sheet(challan: Challan, *, version: int, version_note: str = "") -> ChallanSheet:
    """Everything the PDF prints, read from the challan, its violation and evidence."""
    violation = challan.violation
    camera = violation.camera
    registration = challan.registration
    evidence = list(violation.evidence.all())
    frames: list[SheetImage] = []
    plate_crop: SheetImage | None = None
    hashes: list[tuple[str, str]] = []
    for index, item in enumerate(evidence, start=1):
        label = _evidence_label(item, index)
        hashes.append((label.split(" · ")[0], item.sha256))
        if item.kind == Evidence.Kind.CLIP:
            continue
        if item.kind == Evidence.Kind.PLATE_CROP and plate_crop is None:
            plate_crop = SheetImage("Plate close-up", _read(item))
        elif item.kind != Evidence.Kind.PLATE_CROP and len(frames) < 2:
            frames.append(SheetImage(label, _read(item)))
    vehicle = ", ".join(
        part
        for part in (
            registration.make,
            registration.colour.lower(),
            registration.vehicle_class,
        )
        if part
    )
    origin = ", ".join(p for p in (registration.registration_year, registration.province) if p)
    if origin:
        vehicle += f" (registered {origin})"
    return ChallanSheet(
        number=challan.number,
        psid=challan.psid,
        city_name=camera.city.name,
        issued_on=timezone.localtime(challan.issued_at).date(),
        due_date=challan.due_date,
        verify_url=verify_url(challan),
        owner_name=registration.owner_name,
        owner_cnic_masked=mask_cnic(registration.cnic),
        owner_address=registration.address,
        plate=challan.plate,
        vehicle=vehicle,
        violation=violation.get_kind_display(),
        measurement=describe_measurement(violation),
        occurred_at=violation.occurred_at,
        location=camera.location or camera.name,
        camera_code=camera.code,
        fine_pkr=challan.amount_pkr,
        late_total_pkr=late_total_pkr(challan.amount_pkr),
        late_fee_rule=late_fee_rule(),
        frames=tuple(frames),
        plate_crop=plate_crop,
        evidence_hashes=tuple(hashes),
        version=version,
        version_note=version_note,
    )


def _read(evidence: Evidence) -> bytes:
    with evidence.file.open("rb") as handle:
        return handle.read()


def pdf_name(challan: Challan, version: int) -> str:
    """Derived from number and version, so a retried render rewrites the same file."""
    year = timezone.localtime(challan.issued_at).year
    return f"challans/{year}/{challan.number}-v{version}.pdf"


def store_new_version(challan: Challan, *, reason: str, version_note: str = "") -> ChallanDocument:
    """Render and store the next PDF version; the caller holds the challan row lock.

    A file already at the derived name belongs to an attempt that died before its
    transaction committed (no ChallanDocument points at it), so it is replaced.
    """
    version = challan.pdf_version + 1
    data = render_challan_pdf(build_sheet(challan, version=version, version_note=version_note))
    name = pdf_name(challan, version)
    if default_storage.exists(name):
        logger.info("replacing %s left by an attempt that did not commit", name)
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(data))
    if stored != name:
        raise DocumentConflict(f"storage saved {name} as {stored}; check MEDIA_ROOT permissions")
    digest = hashlib.sha256(data).hexdigest()
    document = ChallanDocument.objects.create(
        challan=challan,
        version=version,
        file=name,
        sha256=digest,
        size_bytes=len(data),
        reason=reason[:200],
    )
    challan.pdf = name
    challan.pdf_sha256 = digest
    challan.pdf_version = version
    challan.save(update_fields=["pdf", "pdf_sha256", "pdf_version", "updated_at"])
    return document
