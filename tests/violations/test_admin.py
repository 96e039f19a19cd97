"""The workbench in Django admin, driven with the test client as the staff who use it."""

from __future__ import annotations

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from PIL import Image

from tests.violations.conftest import FRAME_FILES, PLATE_CROP, speeding_event
from violations import services
from violations.models import Evidence, ReviewDecision, Violation

pytestmark = pytest.mark.django_db
Status = Violation.Status
QUEUE_URL = reverse("admin:violations_violation_changelist")


def review_url(violation: Violation) -> str:
    return reverse("admin:violations_violation_change", args=[violation.pk])


def decide_url(violation: Violation) -> str:
    return reverse("admin:violations_violation_decide", args=[violation.pk])


@pytest.fixture
def violation(camera):
    return services.record_violation_event(speeding_event(confidence=0.93))[0]


@pytest.fixture
def warden_client(client, warden):
    client.force_login(warden)
    return client


def test_the_queue_shows_pending_violations_with_thumbnails_and_measurement(
    warden_client, violation, camera, warden
):
    decided = services.record_violation_event(speeding_event(track_id=99))[0]
    services.reject_violation(decided.pk, reviewer=warden, reason_code="duplicate")

    response = warden_client.get(QUEUE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "LEA-6879" in html and "87.3 / 60 km/h · lane L2" in html
    assert review_url(violation) in html and review_url(decided) not in html
    thumbs = re.findall(r'src="([^"]+\?size=thumb)"', html)
    assert len(thumbs) == 2  # the key frame and the plate crop
    image = Image.open(io.BytesIO(b"".join(warden_client.get(thumbs[0]).streaming_content)))
    assert image.format == "JPEG" and image.width == 240
    assert review_url(decided) in warden_client.get(QUEUE_URL, {"status": "all"}).content.decode()


def test_the_queue_is_oldest_first_and_can_be_turned_newest_first(warden_client, camera):
    from datetime import timedelta

    from tests.violations.conftest import T0

    older = services.record_violation_event(speeding_event(track_id=1))[0]
    newer = services.record_violation_event(
        speeding_event(track_id=2, occurred_at=T0 + timedelta(minutes=5))
    )[0]

    oldest_first = warden_client.get(QUEUE_URL).content.decode()
    found = re.search(r'href="(\?[^"]*)"[^>]*>newest first', oldest_first)
    assert found is not None
    newest_link = found.group(1)
    newest_first = warden_client.get(QUEUE_URL + newest_link.replace("&amp;", "&"))

    def order(html: str) -> list[int]:
        return [int(i) for i in re.findall(r"/admin/violations/violation/(\d+)/change/", html)]

    assert order(oldest_first).index(older.pk) < order(oldest_first).index(newer.pk)
    page = newest_first.content.decode()
    assert order(page).index(newer.pk) < order(page).index(older.pk)


def test_the_queue_searches_by_plate_and_filters_by_confidence(warden_client, camera):
    clear = services.record_violation_event(speeding_event(track_id=1))[0]
    doubtful = services.record_violation_event(
        speeding_event(track_id=2, plate_text="LEC-2089", confidence=0.42)
    )[0]

    found = warden_client.get(QUEUE_URL, {"q": "lec-20"}).content.decode()
    low = warden_client.get(QUEUE_URL, {"confidence": "low"}).content.decode()

    assert review_url(doubtful) in found and review_url(clear) not in found
    assert review_url(doubtful) in low and review_url(clear) not in low


def test_the_review_page_shows_every_evidence_image_and_the_facts(warden_client, violation):
    response = warden_client.get(review_url(violation))

    html = response.content.decode()
    assert response.status_code == 200
    for evidence in violation.evidence.all():
        url = reverse("admin:violations_violation_evidence", args=[evidence.pk])
        assert f'src="{url}"' in html
    assert "87.3" in html and "+27.3 km/h" in html
    assert "LEA-6878" in html  # an ANPR candidate
    assert "0.120 m" in html  # the calibration error
    assert "registry lookup is not configured" in html
    assert 'value="approve"' in html and 'value="escalate"' in html


def test_evidence_is_served_unchanged_to_staff_of_its_city_only(
    client, warden, rawalpindi_warden, violation
):
    crop = violation.evidence.get(kind=Evidence.Kind.PLATE_CROP)
    url = reverse("admin:violations_violation_evidence", args=[crop.pk])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(rawalpindi_warden)
    assert client.get(url).status_code == 404
    client.force_login(warden)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == PLATE_CROP.read_bytes()


def test_the_registry_record_for_the_decided_plate_is_shown(warden_client, violation, settings):
    settings.NIGRAN_REGISTRY_LOOKUP = "tests.violations.test_admin.registry_stub"

    html = warden_client.get(review_url(violation)).content.decode()

    assert "Suzuki Mehran" in html and "White" in html


def registry_stub(plate: str) -> dict[str, str] | None:
    records = {"LEA-6879": {"make": "Suzuki Mehran", "colour": "White", "vehicle_class": "car"}}
    return records.get(plate)


def test_a_warden_approves_from_the_review_page_and_moves_to_the_next(
    warden_client, warden, camera, approvals, django_capture_on_commit_callbacks
):
    first = services.record_violation_event(speeding_event(track_id=1))[0]
    second = services.record_violation_event(speeding_event(track_id=2))[0]

    with django_capture_on_commit_callbacks(execute=True):
        response = warden_client.post(decide_url(first), {"action": "approve", "note": "ok"})

    assert response.status_code == 302 and response["Location"] == review_url(second)
    first.refresh_from_db()
    assert first.status == Status.APPROVED and approvals == [first.pk]
    assert first.decisions.get().reviewer == warden


def test_a_warden_rejects_with_a_reason_and_is_told_when_one_is_missing(
    warden_client, warden, violation
):
    refused = warden_client.post(decide_url(violation), {"action": "reject"}, follow=True)
    assert "not a rejection reason" in refused.content.decode()
    violation.refresh_from_db()
    assert violation.status == Status.PENDING

    warden_client.post(
        decide_url(violation), {"action": "reject", "reason_code": "plate_mismatch", "note": "bus"}
    )

    decision = violation.decisions.get()
    assert (decision.decision, decision.reason_code, decision.reviewer) == (
        "reject",
        "plate_mismatch",
        warden,
    )


def test_correct_and_escalate_from_the_review_page(warden_client, camera):
    one = services.record_violation_event(speeding_event(track_id=1))[0]
    two = services.record_violation_event(speeding_event(track_id=2))[0]

    warden_client.post(decide_url(one), {"action": "correct", "plate": "lea-6878"})
    warden_client.post(decide_url(two), {"action": "escalate", "note": "plate half hidden"})

    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.plate, one.status) == ("LEA-6878", Status.AWAITING_SECOND)
    assert two.status == Status.ESCALATED


def test_the_supervisor_gives_the_second_review_from_the_page(
    client, warden, supervisor, violation
):
    services.escalate_violation(violation.pk, reviewer=warden, note="check speed")
    client.force_login(warden)
    assert 'value="second_approve"' not in client.get(review_url(violation)).content.decode()

    client.force_login(supervisor)
    assert 'value="second_approve"' in client.get(review_url(violation)).content.decode()
    client.post(decide_url(violation), {"action": "second_approve"})

    violation.refresh_from_db()
    assert violation.status == Status.APPROVED
    assert violation.decisions.last().reviewer == supervisor


def test_bulk_approve_and_reject_from_the_queue(warden_client, warden, camera):
    a, b, c = (services.record_violation_event(speeding_event(track_id=i))[0] for i in (1, 2, 3))

    warden_client.post(
        QUEUE_URL, {"action": "approve_selected", "_selected_action": [a.pk, b.pk], "index": 0}
    )
    warden_client.post(
        QUEUE_URL,
        {
            "action": "reject_selected",
            "_selected_action": [c.pk],
            "reason_code": "obstructed",
            "index": 0,
        },
    )

    statuses = dict(Violation.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "approved", b.pk: "approved", c.pk: "rejected"}
    assert ReviewDecision.objects.filter(reviewer=warden).count() == 3


def test_nothing_in_a_violation_or_its_evidence_can_be_edited_in_admin(warden_client, violation):
    posted = warden_client.post(review_url(violation), {"speed_kmh": "50", "plate": "XX-1"})
    deleted = warden_client.post(
        reverse("admin:violations_violation_delete", args=[violation.pk]), {"post": "yes"}
    )
    added = warden_client.get(reverse("admin:violations_violation_add"))

    assert posted.status_code == 405
    assert deleted.status_code == 403 and added.status_code == 403
    violation.refresh_from_db()
    assert (violation.speed_kmh, violation.plate) == (87.3, "LEA-6879")
    evidence = violation.evidence.first()
    with pytest.raises(NoReverseMatch):  # evidence has no admin form at all
        reverse("admin:violations_evidence_change", args=[evidence.pk])


def test_staff_see_only_their_citys_violations(client, rawalpindi_warden, violation, other_camera):
    theirs = services.record_violation_event(speeding_event("RWP-001", track_id=5))[0]
    client.force_login(rawalpindi_warden)

    html = client.get(QUEUE_URL).content.decode()

    assert review_url(theirs) in html and review_url(violation) not in html
    assert client.get(review_url(violation)).status_code == 302  # "does not exist"
    denied = client.post(decide_url(violation), {"action": "approve"})
    assert denied.status_code == 404
    violation.refresh_from_db()
    assert violation.status == Status.PENDING


def test_an_operator_cannot_open_the_review_queue(client, operator, violation):
    client.force_login(operator)

    assert client.get(QUEUE_URL).status_code == 403
    assert client.post(decide_url(violation), {"action": "approve"}).status_code == 403


def test_the_statistics_page_shows_backlog_rates_and_charts(warden_client, warden, camera):
    from datetime import timedelta

    from django.utils import timezone

    for track in range(1, 6):
        services.record_violation_event(
            speeding_event(
                track_id=track,
                confidence=0.5 + track / 10,
                occurred_at=timezone.now() - timedelta(hours=track),
            )
        )
    first = Violation.objects.order_by("id")[0]
    services.reject_violation(first.pk, reviewer=warden, reason_code="duplicate")

    response = warden_client.get(reverse("admin:violations_violationstatistics_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="nigran-chart"') == 3
    assert "<title>0.9: 2</title>" in html  # confidences 0.9 and 1.0 share the top bin
    assert "warden_ali" in html and "Review backlog: 4 waiting" in html
    assert "Statistics" in warden_client.get(reverse("admin:index")).content.decode()


def _queue_queries(client, n_rows: int, camera) -> int:
    existing = Violation.objects.count()
    for track in range(existing, n_rows):
        services.record_violation_event(speeding_event(track_id=1000 + track))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE_URL)
        assert response.status_code == 200
        response.render() if hasattr(response, "render") else None
    assert response.content.decode().count("?size=thumb") == 2 * min(n_rows, 50)
    return len(queries)


def test_the_queue_runs_the_same_number_of_queries_for_10_and_100_rows(warden_client, camera):
    at_10 = _queue_queries(warden_client, 10, camera)
    at_100 = _queue_queries(warden_client, 100, camera)

    assert at_10 == at_100, f"{at_10} queries for 10 rows, {at_100} for 100"
    assert at_10 <= 11, at_10


def test_the_review_page_runs_a_constant_number_of_queries(warden_client, camera):
    few = services.record_violation_event(speeding_event(track_id=1, frames=FRAME_FILES[:1]))[0]
    many = services.record_violation_event(speeding_event(track_id=2))[0]

    counts = []
    for violation in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert warden_client.get(review_url(violation)).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
