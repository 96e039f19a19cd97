"""How fast the wardens' review queue opens with many violations in PostgreSQL.

    python -m benchmarks.admin_queue --rows 100000

Creates the database if it is missing (default ``nigran_bench``), migrates it, fills it
with ``--rows`` violations (COPY; real evidence images shared by every row), then times
the changelist and a review page through Django's test client as a warden of the city,
reporting the median of ``--requests`` requests and the number of SQL queries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nigran_bench"
FRAMES_DIR = ROOT / "tests" / "data" / "frames"
CITY_CODE = "BEN"
CAMERAS = 8
KINDS = ("speeding", "red_light", "bus_lane", "solid_line", "wrong_way")
# A queue mid-shift: a third waits for review, most of the rest is decided.
STATUS_WEIGHTS = {
    "pending": 30,
    "awaiting_second": 4,
    "escalated": 2,
    "approved": 20,
    "challan_issued": 30,
    "rejected": 12,
    "needs_owner": 2,
}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="violations in the table")
    parser.add_argument("--requests", type=int, default=9, help="timed requests per page")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    return parser.parse_args(argv)


def _ensure_database(database_url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(database_url)
    with psycopg.connect(
        dbname="postgres",
        host=str(config.get("HOST") or "127.0.0.1"),
        port=int(config.get("PORT") or 5432),
        user=str(config.get("USER") or "postgres"),
        password=str(config.get("PASSWORD") or ""),
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created database {config['NAME']}")


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enforcement.settings")
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    # Time the app as deployed: no DEBUG query log, no debug pages.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    import django

    django.setup()


def _fixtures() -> tuple[Any, list[Any], Any, list[Any]]:
    """The bench city, its cameras, a warden of the city and the stored evidence files."""
    from django.contrib.auth.models import Group, User

    from enforcement.models import Camera, City, StaffProfile
    from violations.evidence_store import store_evidence_file

    city, _ = City.objects.get_or_create(code=CITY_CODE, defaults={"name": "Benchmark City"})
    cameras = []
    for i in range(1, CAMERAS + 1):
        camera, _ = Camera.objects.get_or_create(
            code=f"{CITY_CODE}-{i:03d}",
            defaults={
                "name": f"Bench camera {i}",
                "city": city,
                "width_px": 1280,
                "height_px": 720,
                "fps": 25.0,
                "speed_limit_kmh": 60.0,
                "reprojection_error_m": 0.11,
                "config_version": "bench-1",
            },
        )
        cameras.append(camera)
    warden, created = User.objects.get_or_create(
        username="bench_warden", defaults={"is_staff": True}
    )
    if created:
        warden.groups.add(Group.objects.get(name="warden"))
        StaffProfile.objects.create(user=warden).cities.add(city)
    files = [
        store_evidence_file(FRAMES_DIR / "site01_clipB_frame_000011.jpg"),
        store_evidence_file(FRAMES_DIR / "site01_clipB_frame_000013.jpg"),
        store_evidence_file(FRAMES_DIR / "plate_Punjab-Plates_p_3.jpg"),
    ]
    return city, cameras, warden, files


def _violation_rows(n: int, start_track: int, cameras: list[Any], warden_id: int) -> list[tuple]:
    rng = random.Random(start_track)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    origin = datetime(2026, 8, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        track = start_track + i
        kind = KINDS[track % len(KINDS)]
        occurred = origin + timedelta(seconds=track * 75 + rng.randint(0, 60))
        status = rng.choices(statuses, weights)[0]
        letters = "LE" + "ABCDEFGH"[track % 8]
        plate = f"{letters}-{track % 10000:04d}"
        confidence = round(rng.betavariate(6, 1.5), 3)
        speed = round(rng.uniform(70, 110), 1) if kind == "speeding" else None
        measured = (
            {"speed_kmh": speed, "limit_kmh": 60.0, "uncertainty_kmh": 1.5}
            if speed
            else {"time_into_red_s": round(rng.uniform(0.4, 6), 2)}
            if kind == "red_light"
            else {"lane_id": "L1"}
        )
        decided = status not in ("pending",)
        rows.append(
            (
                cameras[track % len(cameras)].pk,
                kind,
                occurred,
                track % 100000,
                track,
                "car",
                json.dumps(measured),
                speed,
                60.0 if speed else None,
                measured.get("time_into_red_s"),
                measured.get("lane_id", ""),
                "",
                plate,
                "punjab_district",
                "punjab",
                "12",
                confidence,
                False,
                json.dumps([[plate, confidence]]),
                plate,
                status,
                "bench-1",
                0.11,
                now,
                now,
                warden_id if decided else None,
                now if decided else None,
            )
        )
    return rows


VIOLATION_COLUMNS = (
    "camera_id, kind, occurred_at, frame_index, track_id, vehicle_class, measured, speed_kmh, "
    "limit_kmh, time_into_red_s, lane_id, line_id, plate_read, plate_format, plate_province, "
    "plate_year, plate_confidence, plate_unreadable, plate_candidates, plate, status, "
    "calibration_version, calibration_error_m, created_at, updated_at, reviewed_by_id, "
    "reviewed_at"
)


def _fill(rows_wanted: int, cameras: list[Any], warden: Any, files: list[Any]) -> int:
    """COPY violations (and three evidence rows each) until the bench cameras have enough."""
    from django.db import connection

    from violations.models import Violation

    have = Violation.objects.filter(camera__in=cameras).count()
    missing = rows_wanted - have
    if missing <= 0:
        return have
    started = time.perf_counter()
    first_track = (
        Violation.objects.filter(camera__in=cameras)
        .order_by("-track_id")
        .values_list("track_id", flat=True)
        .first()
        or 0
    ) + 1
    evidence_kinds = (("frame", "zone_entry"), ("plate_frame", "plate"), ("plate_crop", "plate"))
    with connection.cursor() as cursor:
        raw = cursor.cursor
        max_id = Violation.objects.order_by("-id").values_list("id", flat=True).first() or 0
        rows = _violation_rows(missing, first_track, cameras, warden.pk)
        with raw.copy(f"COPY violations_violation ({VIOLATION_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        ids = list(
            Violation.objects.filter(pk__gt=max_id, camera__in=cameras)
            .order_by("id")
            .values_list("id", "occurred_at", "status")
        )
        now = datetime.now(UTC)
        with raw.copy(
            "COPY violations_evidence (violation_id, kind, role, file, sha256, size_bytes, "
            "frame_index, captured_at, created_at) FROM STDIN"
        ) as copy:
            for violation_id, occurred_at, _status in ids:
                for (kind, role), stored in zip(evidence_kinds, files, strict=True):
                    copy.write_row(
                        (
                            violation_id,
                            kind,
                            role,
                            stored.name,
                            stored.sha256,
                            stored.size_bytes,
                            100,
                            occurred_at,
                            now,
                        )
                    )
        with raw.copy(
            "COPY violations_reviewdecision (violation_id, reviewer_id, decided_at, decision, "
            "stage, reason_code, note, plate_before, plate_after, status_after, data) FROM STDIN"
        ) as copy:
            for violation_id, _occurred_at, status in ids:
                if status == "pending":
                    continue
                decision = (
                    "reject"
                    if status == "rejected"
                    else ("escalate" if status == "escalated" else "approve")
                )
                reason = "obstructed" if decision == "reject" else ""
                copy.write_row(
                    (violation_id, warden.pk, now, decision, 1, reason, "", "", "", status, "{}")
                )
        # What autovacuum does to a table that has settled: statistics and a visibility
        # map (so that counts can be index-only scans).
        for table in ("violations_violation", "violations_evidence", "violations_reviewdecision"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"inserted {missing:,} violations in {time.perf_counter() - started:.1f} s")
    return have + missing


def _time_get(client: Any, url: str, requests: int) -> tuple[float, int, int]:
    """(median ms, queries of one request, response bytes), after two warm-up requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return statistics.median(timings), len(queries), len(response.content)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    _ensure_database(args.database_url)
    _setup_django(args.database_url)

    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from violations.models import Violation

    call_command("migrate", verbosity=0)
    _city, cameras, warden, files = _fixtures()
    total = _fill(args.rows, cameras, warden, files)
    pending = Violation.objects.filter(camera__in=cameras, status="pending")
    middle = pending.order_by("occurred_at", "id")[pending.count() // 2]

    client = Client()
    client.force_login(warden)
    queue = reverse("admin:violations_violation_changelist")
    cases = [
        ("queue: pending, oldest first (default)", queue),
        ("queue: pending, newest first", queue + "?o=-3"),
        ("queue: all statuses", queue + "?status=all"),
        ("queue: one camera, speeding", queue + f"?camera={cameras[0].pk}&kind__exact=speeding"),
        ("queue: search plate LEA-01", queue + "?status=all&q=LEA-01"),
        ("queue: low confidence", queue + "?confidence=low"),
        ("review page", reverse("admin:violations_violation_change", args=[middle.pk])),
        ("statistics page", reverse("admin:violations_violationstatistics_changelist")),
    ]
    print(f"\n{total:,} violations ({pending.count():,} pending) in {args.database_url}")
    print(f"{'page':<42} {'median ms':>10} {'queries':>8} {'KiB':>7}")
    results = {}
    for label, url in cases:
        median_ms, queries, size = _time_get(client, url, args.requests)
        results[label] = (median_ms, queries)
        print(f"{label:<42} {median_ms:>10.1f} {queries:>8} {size / 1024:>7.0f}")
    changelist_ms, changelist_queries = results[cases[0][0]]
    review_ms, _ = results["review page"]
    print(
        f"RESULT changelist_ms={changelist_ms:.1f} review_page_ms={review_ms:.1f} "
        f"queries={changelist_queries} rows={total}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
