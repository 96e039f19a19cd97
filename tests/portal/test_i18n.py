"""English and Urdu: translated strings, right-to-left layout, the language switcher."""

from __future__ import annotations

from django.test import Client

from challans.models import Challan
from tests.portal.factories import OWNER_CNIC, look_up


def test_the_urdu_page_is_right_to_left_and_translated(db: None) -> None:
    page = Client(headers={"accept-language": "ur"}).get("/").content.decode()
    assert '<html lang="ur" dir="rtl">' in page
    assert "اپنے ای چالان دیکھیں" in page  # "Check your e-challans"
    assert "گاڑی کا رجسٹریشن نمبر" in page  # "Vehicle registration number"
    assert "Check your e-challans" not in page


def test_the_english_page_is_left_to_right(db: None) -> None:
    page = Client(headers={"accept-language": "en"}).get("/").content.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert "Check your e-challans" in page


def test_the_language_switcher_changes_the_language(db: None) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "ur", "next": "/"})
    assert response.status_code == 302
    assert 'dir="rtl"' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'dir="ltr"' in client.get("/").content.decode()


def test_the_urdu_challan_page_translates_the_violation_and_status(
    challan: Challan,
) -> None:
    client = Client(headers={"accept-language": "ur"})
    look_up(client, "LEA-6879", OWNER_CNIC)
    page = client.get(f"/challan/{challan.public_token}/").content.decode()
    assert 'dir="rtl"' in page
    assert "حد رفتار سے تجاوز" in page  # Over-speeding
    assert "غیر ادا شدہ" in page  # Unpaid
    assert "60 کلومیٹر فی گھنٹہ کی حد میں 87 کلومیٹر فی گھنٹہ" in page
    assert f'<bdi class="psid" dir="ltr">{challan.psid}</bdi>' in page  # digits stay in order
    assert '<bdi class="amount" dir="ltr">Rs 5,000</bdi>' in page


def test_the_urdu_neutral_message_and_rate_limit_are_translated(challan: Challan, settings) -> None:
    settings.NIGRAN = {**settings.NIGRAN, "PORTAL_LOOKUPS_PER_IP": 1}
    client = Client(headers={"accept-language": "ur"})
    assert (
        "درج کردہ تفصیلات پر کوئی چالان نہیں ملا"
        in look_up(client, "X-1", OWNER_CNIC).content.decode()
    )
    limited = look_up(client, "X-2", OWNER_CNIC)
    assert limited.status_code == 429
    assert "بہت زیادہ تلاش کی کوششیں" in limited.content.decode()
