"""The challans back office: city-scoped lists, the inline PDF, supervisor actions."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from challans.models import Challan, ChallanDocument
from challans.services import issue_challan
from enforcement.models import City, StaffProfile

pytestmark = pytest.mark.django_db


def _staff(username: str, city_code: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw-123456", is_staff=True)
    perms = Permission.objects.filter(content_type__app_label="challans", codename__in=codenames)
    user.user_permissions.add(*perms)
    profile = StaffProfile.objects.create(user=user)
    city, _ = City.objects.get_or_create(code=city_code, defaults={"name": city_code})
    profile.cities.add(city)
    return user


@pytest.fixture
def challan(fines, registration, make_violation, media_root) -> Challan:
    issued = issue_challan(make_violation().pk)
    assert issued is not None
    return issued


def test_the_change_page_previews_the_pdf_inline(client, challan):
    client.force_login(_staff("lhr", "LHR", "view_challan"))
    page = client.get(reverse("admin:challans_challan_change", args=[challan.pk]))
    pdf_url = reverse("admin:challans_challan_pdf", args=[challan.pk])
    assert page.status_code == 200
    assert f'<iframe src="{pdf_url}"'.encode() in page.content

    pdf = client.get(pdf_url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(pdf.streaming_content) == challan.pdf.open("rb").read()


def test_staff_of_another_city_see_neither_the_challan_nor_its_pdf(client, challan):
    client.force_login(_staff("rwp", "RWP", "view_challan"))
    changelist = client.get(reverse("admin:challans_challan_changelist"))
    assert challan.number.encode() not in changelist.content
    assert client.get(reverse("admin:challans_challan_pdf", args=[challan.pk])).status_code == 404


def test_the_list_filters_by_status_city_and_amount(client, challan):
    client.force_login(_staff("lhr", "LHR", "view_challan"))
    url = reverse("admin:challans_challan_changelist")
    assert (
        challan.number.encode()
        in client.get(url, {"status__exact": "issued", "city": "LHR", "amount": "to5000"}).content
    )
    assert challan.number.encode() not in client.get(url, {"amount": "over10000"}).content


def test_a_supervisor_cancels_from_the_challan_page_with_a_reason(client, challan):
    client.force_login(_staff("sup", "LHR", "view_challan", "cancel_challan"))
    url = reverse("admin:challans_challan_cancel", args=[challan.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"reason": "Vehicle was an ambulance on duty"})
    challan.refresh_from_db()
    assert challan.status == "cancelled"
    assert challan.events.get(action="cancelled").note == "Vehicle was an ambulance on duty"


def test_a_clerk_cannot_cancel_or_reissue(client, challan):
    client.force_login(_staff("clerk", "LHR", "view_challan"))
    assert (
        client.post(
            reverse("admin:challans_challan_cancel", args=[challan.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:challans_challan_reissue", args=[challan.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    challan.refresh_from_db()
    assert challan.status == "issued"


def test_a_supervisor_reissues_and_both_versions_stay_viewable(client, challan):
    client.force_login(_staff("sup", "LHR", "view_challan", "cancel_challan"))
    client.post(
        reverse("admin:challans_challan_reissue", args=[challan.pk]),
        {"reason": "Owner address corrected"},
    )
    assert list(
        ChallanDocument.objects.filter(challan=challan).values_list("version", flat=True)
    ) == [1, 2]
    for version in (1, 2):
        url = reverse("admin:challans_challan_pdf_version", args=[challan.pk, version])
        assert client.get(url).status_code == 200


def test_the_list_links_to_violations_that_need_an_owner(
    client, fines, registration, make_violation
):
    issue_challan(make_violation("QQX-4040").pk)
    client.force_login(User.objects.create_superuser("root", password="pw-123456"))
    page = client.get(reverse("admin:challans_challan_changelist"))
    assert b"status__exact=needs_owner" in page.content
