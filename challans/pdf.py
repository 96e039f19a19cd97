"""The challan PDF (reportlab): one A4 page, English with Urdu headings, rendered to bytes.

Takes a plain ``ChallanSheet`` so it renders without a database (the benchmark does);
``challans.documents`` builds the sheet from the models and stores the bytes.
"""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image
from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

logger = logging.getLogger(__name__)

# Binary streams: ASCII85 makes every embedded JPEG 25 % larger and, without reportlab's C
# accelerator, costs more time than the rest of the page.
rl_config.useA85 = 0

URDU_FONT_PATH = Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf")
URDU_FONT = "NotoNaskhArabic"
DISPLAY_TZ = ZoneInfo("Asia/Karachi")
# Evidence is downscaled so two frames and a plate crop keep the PDF far below 400 KB.
FRAME_MAX_PX = (640, 360)
CROP_MAX_PX = (360, 180)
JPEG_QUALITY = 70

GREEN = colors.HexColor("#0b6b3a")
PALE = colors.HexColor("#eef5f0")
GREY = colors.HexColor("#555555")

URDU = {
    "title": "ای چالان · ٹریفک خلاف ورزی کا نوٹس",
    "owner": "مالک اور گاڑی",
    "violation": "خلاف ورزی",
    "evidence": "ثبوت",
    "fine": "جرمانہ اور ادائیگی",
    "integrity": "ثبوت کی تصدیق",
}


@dataclass(frozen=True)
class SheetImage:
    """An evidence image as stored (any format PIL reads) and its label."""

    label: str
    data: bytes


@dataclass(frozen=True)
class ChallanSheet:
    """Everything printed on a challan, already decided (amounts, dates, texts)."""

    number: str
    psid: str
    city_name: str
    issued_on: date
    due_date: date
    verify_url: str
    owner_name: str
    owner_cnic_masked: str
    owner_address: str
    plate: str
    vehicle: str  # "Suzuki Mehran, white, car (2015, Punjab)"
    violation: str  # "Over-speeding"
    measurement: str  # "87 km/h in a 60 km/h zone"
    occurred_at: datetime  # aware
    location: str
    camera_code: str
    fine_pkr: int
    late_total_pkr: int
    late_fee_rule: str
    frames: tuple[SheetImage, ...] = ()
    plate_crop: SheetImage | None = None
    evidence_hashes: tuple[tuple[str, str], ...] = ()  # (label, sha256 hex)
    version: int = 1
    version_note: str = ""


@lru_cache(maxsize=1)
def urdu_font_available() -> bool:
    """Register the Naskh font once per process; without it headings are English only."""
    if not URDU_FONT_PATH.exists():
        logger.warning("Urdu font %s missing; challans print English only", URDU_FONT_PATH)
        return False
    try:
        pdfmetrics.registerFont(TTFont(URDU_FONT, str(URDU_FONT_PATH)))
    except (TTFError, OSError) as exc:
        logger.warning("Urdu font %s unusable (%s); English only", URDU_FONT_PATH, exc)
        return False
    return True


@lru_cache(maxsize=64)
def _shaped_urdu(text: str) -> str:
    """Arabic-script shaping and right-to-left order, which reportlab does not do itself."""
    import arabic_reshaper
    from bidi.algorithm import get_display

    return str(get_display(arabic_reshaper.reshape(text)))


def downscale_jpeg(data: bytes, max_px: tuple[int, int]) -> bytes:
    """Re-encode an image as a small JPEG no larger than ``max_px`` (width, height)."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", max_px)  # JPEG decodes straight at 1/2, 1/4 ... scale: much faster
        rgb = image.convert("RGB")
        rgb.thumbnail(max_px)
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=False)
        return out.getvalue()


def rupees(amount_pkr: int) -> str:
    return f"Rs {amount_pkr:,}"


def local_time(moment: datetime) -> str:
    return moment.astimezone(DISPLAY_TZ).strftime("%d %b %Y, %H:%M:%S PKT")


class _Page:
    """Drawing helpers over one canvas, with a cursor moving down the page."""

    margin = 14 * mm

    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.width, self.height = A4
        self.left = self.margin
        self.right = self.width - self.margin
        self.y = self.height - self.margin
        self.urdu = urdu_font_available()

    def heading(self, english: str, urdu_key: str) -> None:
        self.y -= 6 * mm
        self.c.setFillColor(PALE)
        self.c.rect(self.left, self.y - 1.6 * mm, self.right - self.left, 6 * mm, stroke=0, fill=1)
        self.c.setFillColor(GREEN)
        self.c.setFont("Helvetica-Bold", 10)
        self.c.drawString(self.left + 2 * mm, self.y, english.upper())
        if self.urdu:
            self.c.setFont(URDU_FONT, 10)
            self.c.drawRightString(self.right - 2 * mm, self.y, _shaped_urdu(URDU[urdu_key]))
        self.c.setFillColor(colors.black)
        self.y -= 6 * mm

    def field(self, x: float, label: str, value: str, width: float) -> float:
        """A label over a value (wrapped to ``width``); returns the height used."""
        self.c.setFont("Helvetica", 7)
        self.c.setFillColor(GREY)
        self.c.drawString(x, self.y, label)
        self.c.setFillColor(colors.black)
        self.c.setFont("Helvetica-Bold", 9)
        lines = _wrap(value, "Helvetica-Bold", 9, width)
        for index, line in enumerate(lines):
            self.c.drawString(x, self.y - 3.8 * mm - index * 3.8 * mm, line)
        return 4.6 * mm + len(lines) * 3.8 * mm


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if pdfmetrics.stringWidth(candidate, font, size) <= width or not current:
                current = candidate
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


def _draw_header(page: _Page, sheet: ChallanSheet) -> None:
    c = page.c
    band_h = 16 * mm
    c.setFillColor(GREEN)
    c.rect(0, page.height - band_h, page.width, band_h, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont("Helvetica-Bold", 15)
    c.drawString(page.left, page.height - 8 * mm, "E-CHALLAN · TRAFFIC VIOLATION NOTICE")
    c.setFont("Helvetica", 8.5)
    c.drawString(
        page.left, page.height - 12.5 * mm, f"Nigran traffic enforcement · {sheet.city_name}"
    )
    if page.urdu:
        c.setFont(URDU_FONT, 13)
        c.drawRightString(page.right, page.height - 10 * mm, _shaped_urdu(URDU["title"]))
    c.setFillColor(colors.black)
    page.y = page.height - band_h - 3 * mm

    boxes = (
        ("Challan number", sheet.number),
        ("Payment reference (PSID)", sheet.psid),
        ("Issued on", sheet.issued_on.strftime("%d %b %Y")),
        ("Pay by (due date)", sheet.due_date.strftime("%d %b %Y")),
    )
    box_w = (page.right - page.left) / len(boxes)
    box_h = 11 * mm
    top = page.y
    for index, (label, value) in enumerate(boxes):
        x = page.left + index * box_w
        c.setStrokeColor(GREEN)
        c.rect(x, top - box_h, box_w - 1.5 * mm, box_h, stroke=1, fill=0)
        c.setFont("Helvetica", 7)
        c.setFillColor(GREY)
        c.drawString(x + 2 * mm, top - 3.8 * mm, label)
        c.setFillColor(colors.black)
        c.setFont("Helvetica-Bold", 10 if len(value) < 20 else 9)
        c.drawString(x + 2 * mm, top - 8.6 * mm, value)
    page.y = top - box_h - 1 * mm


def _draw_parties(page: _Page, sheet: ChallanSheet) -> None:
    page.heading("Owner and vehicle", "owner")
    _draw_field_columns(
        page,
        (
            ("Registered owner", sheet.owner_name),
            ("CNIC", sheet.owner_cnic_masked),
            ("Address", sheet.owner_address),
        ),
        (("Registration number", sheet.plate), ("Vehicle", sheet.vehicle)),
    )
    page.heading("Violation", "violation")
    _draw_field_columns(
        page,
        (("Violation", sheet.violation), ("Measured", sheet.measurement)),
        (
            ("Date and time", local_time(sheet.occurred_at)),
            ("Location", f"{sheet.location} (camera {sheet.camera_code})"),
        ),
    )


def _draw_field_columns(
    page: _Page,
    left: Sequence[tuple[str, str]],
    right: Sequence[tuple[str, str]],
) -> None:
    """Two columns of labelled fields from the current line; continue below the longer."""
    column_w = (page.right - page.left) / 2 - 3 * mm
    start = page.y
    ends = []
    for x, fields in ((page.left, left), (page.left + column_w + 6 * mm, right)):
        page.y = start
        used = 0.0
        for label, value in fields:
            used += page.field(x, label, value, column_w)
            page.y = start - used
        ends.append(page.y)
    page.y = min(ends)


def _draw_image(c: Canvas, data: bytes, x: float, y: float, w: float, h: float) -> None:
    """Draw an image fitted (aspect kept) into a box whose bottom-left is (x, y)."""
    reader = ImageReader(io.BytesIO(data))
    image_w, image_h = reader.getSize()
    scale = min(w / image_w, h / image_h)
    draw_w, draw_h = image_w * scale, image_h * scale
    c.drawImage(reader, x + (w - draw_w) / 2, y + (h - draw_h) / 2, draw_w, draw_h)


def _draw_evidence(page: _Page, sheet: ChallanSheet) -> None:
    page.heading("Evidence", "evidence")
    c = page.c
    frames = sheet.frames[:2]
    gap = 3 * mm
    frame_w = (page.right - page.left - gap) / 2
    frame_h = frame_w * 9 / 16
    top = page.y + 2 * mm
    for index, frame in enumerate(frames):
        x = page.left + index * (frame_w + gap)
        _draw_image(c, downscale_jpeg(frame.data, FRAME_MAX_PX), x, top - frame_h, frame_w, frame_h)
        c.setFont("Helvetica", 7)
        c.setFillColor(GREY)
        c.drawString(x, top - frame_h - 3 * mm, frame.label)
        c.setFillColor(colors.black)
    if not frames:
        c.setFont("Helvetica-Oblique", 9)
        c.drawString(page.left, top - 6 * mm, "No evidence image on record.")
        frame_h = 8 * mm
    page.y = top - frame_h - 5 * mm
    if sheet.plate_crop is not None:
        crop_w, crop_h = 50 * mm, 24 * mm
        _draw_image(
            c,
            downscale_jpeg(sheet.plate_crop.data, CROP_MAX_PX),
            page.left,
            page.y - crop_h,
            crop_w,
            crop_h,
        )
        c.setFont("Helvetica", 7)
        c.setFillColor(GREY)
        c.drawString(page.left + crop_w + 3 * mm, page.y - 4 * mm, sheet.plate_crop.label)
        c.setFillColor(colors.black)
        c.setFont("Helvetica-Bold", 16)
        c.drawString(page.left + crop_w + 3 * mm, page.y - 12 * mm, sheet.plate)
        page.y -= crop_h + 1 * mm


def _draw_payment(page: _Page, sheet: ChallanSheet) -> None:
    page.heading("Fine and payment", "fine")
    c = page.c
    qr_size = 34 * mm
    text_w = page.right - page.left - qr_size - 6 * mm
    top = page.y
    c.setFont("Helvetica-Bold", 20)
    c.setFillColor(GREEN)
    c.drawString(page.left, top - 5 * mm, f"Fine: {rupees(sheet.fine_pkr)}")
    c.setFillColor(colors.black)
    c.setFont("Helvetica", 9)
    c.drawString(
        page.left,
        top - 10.5 * mm,
        f"Pay {rupees(sheet.fine_pkr)} by {sheet.due_date:%d %b %Y}; "
        f"from the next day {rupees(sheet.late_total_pkr)}.",
    )
    instructions = (
        f"Late fee: {sheet.late_fee_rule}",
        f"Pay with PSID {sheet.psid} at any bank branch or ATM, or through mobile / internet "
        "banking and mobile wallets (1Bill / e-Pay Punjab).",
        "To contest this challan, use the verification page within 7 days of issue, "
        "quoting the challan number and the registration number.",
        f"Verify this challan: {sheet.verify_url}",
    )
    y = top - 15.5 * mm
    for paragraph in instructions:
        for line in _wrap(paragraph, "Helvetica", 8.5, text_w):
            c.drawString(page.left, y, line)
            y -= 3.8 * mm
        y -= 0.8 * mm
    _draw_qr(c, sheet.verify_url, page.right - qr_size, top - qr_size - 1 * mm, qr_size)
    c.setFont("Helvetica", 6.5)
    c.drawCentredString(page.right - qr_size / 2, top - qr_size - 3.5 * mm, "Scan to verify")
    page.y = min(y, top - qr_size - 5 * mm)


def _draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as one filled path of module runs.

    ``QrCodeWidget`` encodes; drawing its modules ourselves avoids the thousands of shape
    objects its renderer builds (most of a challan's render time otherwise).
    """
    encoder = QrCodeWidget(url, barLevel="M").qr
    # make() picks the mask with the lowest penalty score, as the QR standard asks: a few
    # milliseconds more than a fixed mask, and the code stays easy to scan off cheap paper.
    encoder.make()
    count = encoder.getModuleCount()
    border = 4
    module = size / (count + 2 * border)
    path = c.beginPath()
    for row_index, row in enumerate(encoder.modules):
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                path.rect(
                    x + (column + border) * module,
                    y + size - (row_index + border + 1) * module,
                    length * module,
                    module,
                )
            column += length
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)


def _draw_integrity(page: _Page, sheet: ChallanSheet) -> None:
    page.heading("Evidence integrity (SHA-256)", "integrity")
    c = page.c
    label_w = max(
        (pdfmetrics.stringWidth(label, "Helvetica", 7) for label, _ in sheet.evidence_hashes),
        default=0.0,
    )
    for label, digest in sheet.evidence_hashes:
        c.setFont("Helvetica", 7)
        c.drawString(page.left, page.y, label)
        c.setFont("Courier", 7)
        c.drawString(page.left + label_w + 4 * mm, page.y, digest)
        page.y -= 3.4 * mm


def _draw_footer(page: _Page, sheet: ChallanSheet) -> None:
    c = page.c
    c.setFont("Helvetica", 6.5)
    c.setFillColor(GREY)
    note = f"Document version {sheet.version}"
    if sheet.version_note:
        note += f" · {sheet.version_note}"
    c.drawString(page.left, 8 * mm, note)
    c.drawRightString(
        page.right,
        8 * mm,
        "Generated automatically from camera evidence reviewed by a traffic warden.",
    )
    c.setFillColor(colors.black)


def render_challan_pdf(sheet: ChallanSheet) -> bytes:
    """Render the challan to PDF bytes (deterministic: same sheet, same bytes)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"E-challan {sheet.number}")
    canvas.setAuthor("Nigran traffic enforcement")
    canvas.setSubject(f"{sheet.violation} · {sheet.plate}")
    page = _Page(canvas)
    _draw_header(page, sheet)
    _draw_parties(page, sheet)
    _draw_evidence(page, sheet)
    _draw_payment(page, sheet)
    _draw_integrity(page, sheet)
    _draw_footer(page, sheet)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
