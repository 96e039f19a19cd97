"""The challan PDF: its printed fields, evidence, QR code, size and Urdu fallback."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from challans import pdf as challan_pdf
from challans.documents import verify_url
from challans.models import ChallanDocument
from challans.services import issue_challan
from tests.pdf_pages import decode_qr, render_first_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(fines, registration, make_violation, media_root):
    violation = make_violation()
    challan = issue_challan(violation.pk)
    assert challan is not None
    data = (media_root / challan.pdf.name).read_bytes()
    return challan, violation, data


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def _font_names(data: bytes) -> set[str]:
    resources = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]
    return {str(font["/BaseFont"]) for font in resources["/Font"].values()}  # type: ignore[index]


def test_the_pdf_prints_number_plate_amount_psid_dates_and_measurement(issued):
    challan, violation, data = issued
    text = _text(data)
    for expected in (
        challan.number,
        "LEA-6879",
        "Rs 5,000",
        "Rs 10,000",  # after the due date
        challan.psid,
        challan.due_date.strftime("%d %b %Y"),
        "87 km/h in a 60 km/h zone",
        "23 Nov 2026, 14:41:12 PKT",
        "Muhammad Asif Khan",
        "Mall Road at Regal Chowk",
        "Over-speeding",
    ):
        assert expected in text, expected
    assert "3520212345673" not in text  # the CNIC is masked
    assert "35202-*******-3" in text


def test_the_pdf_prints_the_sha256_of_every_evidence_file(issued):
    _, violation, data = issued
    text = _text(data)
    hashes = list(violation.evidence.values_list("sha256", flat=True))
    assert len(hashes) == 3
    for digest in hashes:
        assert digest in text


def test_the_pdf_embeds_the_evidence_images_small_enough(issued):
    _, _, data = issued
    page = PdfReader(io.BytesIO(data)).pages[0]
    images = page.images
    assert len(images) == 3  # two frames and the plate crop
    assert max(image.image.width for image in images if image.image is not None) <= 640
    assert len(data) <= 400 * 1024


def test_the_pdf_links_to_the_verification_page(issued):
    challan, _, data = issued
    url = verify_url(challan)
    assert url == f"http://127.0.0.1:8000/verify/{challan.public_token}/"
    assert url in _text(data)


def test_the_qr_code_decodes_to_the_verification_url(issued, tmp_path: Path):
    challan, _, data = issued
    (tmp_path / "c.pdf").write_bytes(data)
    assert decode_qr(render_first_page(tmp_path / "c.pdf")) == verify_url(challan)


def test_urdu_headings_use_the_naskh_font_when_installed(issued):
    if not challan_pdf.URDU_FONT_PATH.exists():
        pytest.skip("fonts-noto-core not installed")
    _, _, data = issued
    fonts = _font_names(data)
    assert any("NotoNaskhArabic" in name for name in fonts)


def test_without_the_urdu_font_it_prints_english_only(issued, monkeypatch, tmp_path):
    _, _, _ = issued
    monkeypatch.setattr(challan_pdf, "URDU_FONT_PATH", tmp_path / "missing.ttf")
    challan_pdf.urdu_font_available.cache_clear()
    try:
        document = ChallanDocument.objects.get()
        sheet_challan = document.challan
        from challans.documents import build_sheet

        data = challan_pdf.render_challan_pdf(build_sheet(sheet_challan, version=1))
    finally:
        challan_pdf.urdu_font_available.cache_clear()
    fonts = _font_names(data)
    assert not any("Naskh" in name for name in fonts)
    assert "EVIDENCE" in _text(data)


def test_rendering_the_same_sheet_twice_gives_the_same_bytes(issued):
    challan, _, data = issued
    from challans.documents import build_sheet

    again = challan_pdf.render_challan_pdf(build_sheet(challan, version=1))
    assert again == data


def test_a_pdf_without_evidence_images_still_renders(
    fines, registration, make_violation, media_root
):
    violation = make_violation(with_evidence=False)
    challan = issue_challan(violation.pk)
    assert challan is not None
    text = _text((media_root / challan.pdf.name).read_bytes())
    assert "No evidence image on record" in text
