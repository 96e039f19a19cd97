"""The daily summary: challans issued on a day as CSV, and a one-page PDF with a chart.

Both files are deterministic for the same data, and rewritten only when their content
changed, so re-running the job for a day changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count
from django.utils import timezone
from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from challans.models import Challan, ChallanEvent, Notice
from violations.models import KIND_LABELS

CSV_COLUMNS = (
    "number",
    "issued_at",
    "city_code",
    "camera",
    "kind",
    "plate",
    "fine_class",
    "amount_pkr",
    "status",
    "due_date",
)


@dataclass(frozen=True)
class DailySummary:
    day: date
    csv_name: str
    pdf_name: str
    issued: int
    amount_pkr: int
    by_kind: dict[str, int]
    overdue_marked: int
    notices_sent: int
    files_written: int

    def as_dict(self) -> dict[str, str]:
        return {
            "day": self.day.isoformat(),
            "csv": self.csv_name,
            "pdf": self.pdf_name,
            "issued": str(self.issued),
            "amount_pkr": str(self.amount_pkr),
            "files_written": str(self.files_written),
        }


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def _csv_bytes(challans: list[Challan]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for challan in challans:
        writer.writerow(
            (
                challan.number,
                timezone.localtime(challan.issued_at).isoformat(timespec="seconds"),
                challan.city_code,
                challan.violation.camera.code,
                challan.violation.kind,
                challan.plate,
                challan.fine_class,
                challan.amount_pkr,
                challan.status,
                challan.due_date.isoformat(),
            )
        )
    return out.getvalue().encode()


def _chart(by_kind: dict[str, int], width: float, height: float) -> Drawing:
    kinds = list(KIND_LABELS)
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 45
    chart.width, chart.height = width - 60, height - 70
    chart.data = [[by_kind.get(kind, 0) for kind in kinds]]
    chart.categoryAxis.categoryNames = [KIND_LABELS[kind].split(" (")[0] for kind in kinds]
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([*chart.data[0], 1]) * 1.15
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#0b6b3a")
    drawing.add(chart)
    drawing.add(String(width / 2, height - 12, "Challans issued by violation", textAnchor="middle"))
    return drawing


def _pdf_bytes(day: date, summary_rows: list[tuple[str, str]], by_kind: dict[str, int]) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"Daily e-challan summary {day.isoformat()}")
    width, height = A4
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(20 * mm, height - 25 * mm, f"E-challans · daily summary · {day:%d %b %Y}")
    y = height - 38 * mm
    for label, value in summary_rows:
        canvas.setFont("Helvetica", 10)
        canvas.drawString(20 * mm, y, label)
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawRightString(120 * mm, y, value)
        y -= 6 * mm
    chart = _chart(by_kind, width - 40 * mm, 90 * mm)
    renderPDF.draw(chart, canvas, 20 * mm, y - 100 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _write_if_changed(name: str, data: bytes) -> int:
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            if handle.read() == data:
                return 0
        default_storage.delete(name)
    default_storage.save(name, ContentFile(data))
    return 1


def write_daily_summary(day: date) -> DailySummary:
    """Summarise challans issued on ``day`` (Asia/Karachi) into CSV and PDF under MEDIA_ROOT."""
    start, end = _day_bounds(day)
    challans = list(
        Challan.objects.filter(issued_at__gte=start, issued_at__lt=end)
        .select_related("violation__camera")
        .order_by("number")
    )
    by_kind = dict(sorted(Counter(c.violation.kind for c in challans).items()))
    by_city = dict(sorted(Counter(c.city_code for c in challans).items()))
    amount_pkr = sum(c.amount_pkr for c in challans)
    overdue_marked = ChallanEvent.objects.filter(
        action="overdue", at__gte=start, at__lt=end
    ).count()
    notices = dict(
        Notice.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by("outcome")
    )
    rows = [
        ("Challans issued", f"{len(challans):,}"),
        ("Amount issued", f"Rs {amount_pkr:,}"),
        ("Marked overdue", f"{overdue_marked:,}"),
        ("Notices sent", f"{notices.get('sent', 0):,}"),
        ("Notices failed", f"{notices.get('failed', 0):,}"),
        *((f"  in {city}", f"{count:,}") for city, count in by_city.items()),
    ]
    folder = f"reports/daily/{day:%Y}"
    csv_name = f"{folder}/challans-{day.isoformat()}.csv"
    pdf_name = f"{folder}/summary-{day.isoformat()}.pdf"
    written = _write_if_changed(csv_name, _csv_bytes(challans))
    written += _write_if_changed(pdf_name, _pdf_bytes(day, rows, by_kind))
    return DailySummary(
        day=day,
        csv_name=csv_name,
        pdf_name=pdf_name,
        issued=len(challans),
        amount_pkr=amount_pkr,
        by_kind=by_kind,
        overdue_marked=overdue_marked,
        notices_sent=notices.get("sent", 0),
        files_written=written,
    )
