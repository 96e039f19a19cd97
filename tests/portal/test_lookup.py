"""Look-up by vehicle + CNIC and by challan number + CNIC, neutral failures, rate limits."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from challans.models import Challan
from tests.portal.factories import OTHER_CNIC, OWNER_CNIC, look_up

NEUTRAL = "No challans were found for the details you entered."


@pytest.mark.parametrize("typed_plate", ["LEA-6879", "lea 6879", "lea6879", " Lea - 6879 "])
@pytest.mark.parametrize("typed_cnic", ["35202-1234567-1", "3520212345671"])
def test_it_finds_challans_whatever_the_plate_and_cnic_spelling(
    client: Client, challan: Challan, typed_plate: str, typed_cnic: str
) -> None:
    response = look_up(client, typed_plate, typed_cnic)
    assert response.status_code == 302
    assert response["Location"] == "/challans/"
    page = client.get("/challans/").content.decode()
    assert challan.number in page
    assert f"/challan/{challan.public_token}/" in page


def test_the_list_shows_what_is_owed_today_with_the_late_fee(client: Client, make_challan) -> None:
    on_time = make_challan(amount_pkr=5000)
    late = make_challan(amount_pkr=2000, issued_days_ago=20, due_in_days=-10)
    look_up(client, "LEA-6879", OWNER_CNIC)
    page = re.sub(r"<[^>]+>", "", client.get("/challans/").content.decode())
    assert on_time.number in page and late.number in page
    assert "Rs 5,000" in page
    assert "Rs 4,000" in page and "includes Rs 2,000 late fee" in page
    assert "Over-speeding" in page and "Mall Road, Regal Chowk, Lahore" in page
    assert late.due_date.strftime("%-d %b %Y") in page


def test_it_finds_a_challan_by_number_and_cnic(client: Client, challan: Challan) -> None:
    response = client.post(
        "/", {"by": "number", "n-number": challan.number.lower(), "n-cnic": "35202-1234567-1"}
    )
    assert response.status_code == 302
    assert challan.number in client.get("/challans/").content.decode()


def test_a_wrong_cnic_and_an_unknown_plate_get_the_same_neutral_answer(
    client: Client, challan: Challan
) -> None:
    wrong_cnic = look_up(client, "LEA-6879", OTHER_CNIC)
    unknown_plate = look_up(client, "ZZZ-1", OWNER_CNIC)
    assert wrong_cnic.status_code == unknown_plate.status_code == 200
    assert NEUTRAL in wrong_cnic.content.decode()
    assert NEUTRAL in unknown_plate.content.decode()
    strip = [challan.number, "LEA-6879", "ZZZ-1", "lea", "zzz"]

    def scrubbed(response) -> str:
        text = response.content.decode()
        for value in strip:
            text = text.replace(value, "")
        for token in ("csrfmiddlewaretoken", 'value="'):
            text = text.split(token)[0]
        return text

    assert scrubbed(wrong_cnic) == scrubbed(unknown_plate)
    assert client.get(f"/challan/{challan.public_token}/").status_code == 404


def test_a_malformed_cnic_is_a_form_error_not_a_lookup(client: Client, challan: Challan) -> None:
    response = look_up(client, "LEA-6879", "35202-123")
    assert response.status_code == 200
    assert "Enter the 13 digits of the CNIC." in response.content.decode()


def test_no_personal_data_reaches_a_url(client: Client, challan: Challan) -> None:
    response = look_up(client, "LEA-6879", OWNER_CNIC, follow=True)
    visited = [url for url, _ in response.redirect_chain]
    page = response.content.decode()
    hrefs = [part.split('"')[0] for part in page.split('href="')[1:]]
    for url in visited + hrefs:
        assert OWNER_CNIC not in url and "LEA" not in url.upper()
    assert OWNER_CNIC not in page


def test_lookup_forms_need_the_csrf_token(challan: Challan) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert look_up(strict, "LEA-6879", OWNER_CNIC).status_code == 403
    form = strict.get("/")
    assert form.content.decode().count('name="csrfmiddlewaretoken"') >= 3  # both forms + language
    token = form.cookies["csrftoken"].value
    ok = strict.post(
        "/",
        {
            "by": "vehicle",
            "v-plate": "LEA-6879",
            "v-cnic": OWNER_CNIC,
            "csrfmiddlewaretoken": token,
        },
    )
    assert ok.status_code == 302


def test_many_plates_with_one_cnic_from_one_client_are_rate_limited(
    client: Client, challan: Challan, settings
) -> None:
    settings.NIGRAN = {**settings.NIGRAN, "PORTAL_LOOKUPS_PER_IP": 5}
    answers = [look_up(client, f"LEA-{1000 + i}", OWNER_CNIC) for i in range(5)]
    assert all(NEUTRAL in a.content.decode() for a in answers)
    limited = look_up(client, "LEA-6879", OWNER_CNIC)  # even the right pair is refused now
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "Too many look-ups." in limited.content.decode()
    assert challan.number not in limited.content.decode()


def test_one_plate_with_many_cnics_from_many_clients_is_rate_limited_per_plate(
    challan: Challan, settings
) -> None:
    settings.NIGRAN = {**settings.NIGRAN, "PORTAL_LOOKUPS_PER_PLATE": 4}
    statuses = []
    for i in range(6):
        client = Client(REMOTE_ADDR=f"10.0.0.{i + 1}")
        statuses.append(look_up(client, "LEA-6879", f"35202{i:07d}9").status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_many_plates_with_one_cnic_from_many_clients_are_rate_limited_per_cnic(
    challan: Challan, settings
) -> None:
    settings.NIGRAN = {**settings.NIGRAN, "PORTAL_LOOKUPS_PER_CNIC": 3}
    statuses = [
        look_up(Client(REMOTE_ADDR=f"10.0.1.{i + 1}"), f"LEB-{i + 1}", OWNER_CNIC).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_the_session_access_expires(client: Client, challan: Challan, settings) -> None:
    look_up(client, "LEA-6879", OWNER_CNIC)
    assert client.get(f"/challan/{challan.public_token}/").status_code == 200
    session = client.session
    grants = session["portal_access"]
    grants[str(challan.public_token)] -= 2 * 3600
    session["portal_access"] = grants
    session.save()
    assert client.get(f"/challan/{challan.public_token}/").status_code == 404


def test_forgetting_ends_the_access_on_this_device(client: Client, challan: Challan) -> None:
    look_up(client, "LEA-6879", OWNER_CNIC)
    assert client.post("/forget/").status_code == 302
    assert client.get(f"/challan/{challan.public_token}/").status_code == 404


def test_a_paid_challan_shows_nothing_owed(client: Client, make_challan) -> None:
    paid = make_challan(status=Challan.Status.PAID)
    Challan.objects.filter(pk=paid.pk).update(paid_at=timezone.now(), paid_amount_pkr=5000)
    look_up(client, "LEA-6879", OWNER_CNIC)
    page = client.get("/challans/").content.decode()
    assert "Paid" in page and "Rs 5,000" not in page
    detail = client.get(f"/challan/{paid.public_token}/").content.decode()
    assert "Nothing more is owed." in detail and paid.psid not in detail


def test_behind_a_trusted_proxy_each_client_is_counted_apart(challan: Challan, settings) -> None:
    settings.NIGRAN = {**settings.NIGRAN, "PORTAL_LOOKUPS_PER_IP": 2, "PORTAL_TRUSTED_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.9.9.9")

    def from_client(address: str, forged: str = "") -> int:
        chain = f"{forged}, {address}" if forged else address
        return look_up(proxy, "ZZZ-1", OWNER_CNIC, HTTP_X_FORWARDED_FOR=chain).status_code

    assert [from_client("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert from_client("203.0.113.8") == 200
    # A forged left-most entry does not give the limited client a fresh count.
    assert from_client("203.0.113.7", forged="198.51.100.1") == 429
