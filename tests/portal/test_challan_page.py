"""The challan page, its evidence links, the PDF download and the public verify page."""

from __future__ import annotations

import re
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction
from django.test import Client

from challans.documents import store_new_version
from challans.models import Challan
from tests.portal.factories import DATA, OTHER_CNIC, OWNER_CNIC, look_up


def evidence_urls(page: str) -> list[str]:
    return re.findall(r'src="(/challan/[^"]+/evidence/[^"]+/)"', page)


def main_of(response) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


@pytest.fixture
def owner(client: Client, challan: Challan) -> Client:
    look_up(client, "LEA-6879", OWNER_CNIC)
    return client


def test_the_page_shows_the_violation_the_fine_and_how_to_pay(
    owner: Client, challan: Challan
) -> None:
    page = owner.get(f"/challan/{challan.public_token}/").content.decode()
    assert "Over-speeding" in page
    assert "87 km/h in a 60 km/h zone" in page
    assert "Rs 5,000" in page and challan.psid in page
    assert "1Link" in page
    assert len(evidence_urls(page)) == 3
    assert "Close-up of the number plate" in page


def test_evidence_is_served_byte_for_byte_through_its_signed_link(
    owner: Client, challan: Challan
) -> None:
    page = owner.get(f"/challan/{challan.public_token}/").content.decode()
    served = [owner.get(url) for url in evidence_urls(page)]
    assert [r.status_code for r in served] == [200, 200, 200]
    assert all(r["Content-Type"] == "image/jpeg" for r in served)
    assert served[0].content == (DATA / "roadside_frame.jpg").read_bytes()
    assert served[2].content == (DATA / "plate_LEA-6879.jpg").read_bytes()
    assert served[0]["Cache-Control"] == "no-store, private"


def test_a_tampered_evidence_link_is_refused(owner: Client, challan: Challan) -> None:
    url = evidence_urls(owner.get(f"/challan/{challan.public_token}/").content.decode())[0]
    signed = url.rstrip("/").rsplit("/", 1)[1]
    evidence_id, rest = signed.split(".", 1)
    tampered = [
        url.replace(signed, f"{int(evidence_id) + 1}.{rest}"),
        url.replace(signed, signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")),
        url.replace(signed, f"{evidence_id}.{challan.public_token}"),
    ]
    for bad in tampered:
        assert owner.get(bad).status_code == 404, bad


def test_an_expired_evidence_link_is_refused(owner: Client, challan: Challan, settings) -> None:
    url = evidence_urls(owner.get(f"/challan/{challan.public_token}/").content.decode())[0]
    max_age_s = settings.NIGRAN["EVIDENCE_LINK_MAX_AGE_S"]
    with mock.patch("django.core.signing.time.time", return_value=time.time() + max_age_s + 5):
        expired = owner.get(url)
    assert expired.status_code == 410
    assert "This link has expired" in expired.content.decode()


def test_a_link_for_one_challan_does_not_open_another(owner: Client, make_challan) -> None:
    first = Challan.objects.get()
    second = make_challan()
    look_up(owner, "LEA-6879", OWNER_CNIC)
    url = evidence_urls(owner.get(f"/challan/{first.public_token}/").content.decode())[0]
    moved = url.replace(str(first.public_token), str(second.public_token))
    assert owner.get(moved).status_code == 404


def test_an_evidence_link_alone_shows_nothing_to_another_session(
    owner: Client, challan: Challan
) -> None:
    url = evidence_urls(owner.get(f"/challan/{challan.public_token}/").content.decode())[0]
    stranger = Client()
    assert stranger.get(url).status_code == 404


def test_another_citizens_challan_is_not_shown(client: Client, make_challan) -> None:
    mine = make_challan()
    theirs = make_challan(plate="RIA-9133", cnic=OTHER_CNIC)
    look_up(client, "LEA-6879", OWNER_CNIC)
    assert client.get(f"/challan/{mine.public_token}/").status_code == 200
    for path in ("", "pdf/", "contest/"):
        response = client.get(f"/challan/{theirs.public_token}/{path}")
        assert response.status_code == 404
        assert theirs.number not in response.content.decode()
    unknown = client.get("/challan/00000000-0000-4000-8000-000000000000/")
    assert unknown.status_code == 404
    assert main_of(unknown) == main_of(client.get(f"/challan/{theirs.public_token}/"))


def test_an_altered_evidence_file_is_not_served(owner: Client, challan: Challan) -> None:
    evidence = challan.violation.evidence.order_by("frame_index", "id").first()
    assert evidence is not None
    Path(evidence.file.path).chmod(0o644)
    Path(evidence.file.path).write_bytes(b"\xff\xd8 not the recorded image")
    url = evidence_urls(owner.get(f"/challan/{challan.public_token}/").content.decode())[0]
    assert owner.get(url).status_code == 404


def test_the_pdf_downloads_only_for_the_owner(owner: Client, challan: Challan) -> None:
    with transaction.atomic():
        store_new_version(challan, reason="issued")
    response = owner.get(f"/challan/{challan.public_token}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="challan-{challan.number}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert Client().get(f"/challan/{challan.public_token}/pdf/").status_code == 404


def test_an_altered_pdf_is_not_served(owner: Client, challan: Challan) -> None:
    with transaction.atomic():
        store_new_version(challan, reason="issued")
    challan.refresh_from_db()
    Path(challan.pdf.path).chmod(0o644)
    Path(challan.pdf.path).write_bytes(b"%PDF-1.4 forged")
    assert owner.get(f"/challan/{challan.public_token}/pdf/").status_code == 404


def test_verify_says_genuine_with_status_and_no_personal_data(challan: Challan) -> None:
    response = Client().get(f"/verify/{challan.public_token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Genuine challan." in page and challan.number in page and "Unpaid" in page
    assert "LEA-68••" in page
    for personal in (OWNER_CNIC, "35202", "Ayesha", "Canal View", "LEA-6879", challan.psid):
        assert personal not in page


def test_verify_follows_the_current_status(challan: Challan) -> None:
    Challan.objects.filter(pk=challan.pk).update(status=Challan.Status.CANCELLED)
    assert "Cancelled" in Client().get(f"/verify/{challan.public_token}/").content.decode()


def test_verify_says_not_genuine_for_an_unknown_token(db: None) -> None:
    response = Client().get("/verify/7d1c3c55-0a8f-4f55-9d7e-2b8e8f0d4e11/")
    assert response.status_code == 404
    assert "Not a genuine challan." in response.content.decode()


def test_portal_pages_send_the_security_headers(owner: Client, challan: Challan) -> None:
    for path in ("/", f"/challan/{challan.public_token}/", f"/verify/{challan.public_token}/"):
        response = owner.get(path)
        csp = response["Content-Security-Policy"]
        assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "<script" not in response.content.decode()
        assert " style=" not in response.content.decode()


def test_the_optional_middleware_adds_the_headers_outside_the_admin(db: None, settings) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "challans.headers.PortalSecurityHeadersMiddleware"]
    client = Client()
    set_language = client.post("/i18n/setlang/", {"language": "ur", "next": "/"})
    assert set_language["Content-Security-Policy"].startswith("default-src 'none'")
    assert "Content-Security-Policy" not in client.get("/admin/login/")
