"""Load on the citizens' look-up: wrk against gunicorn on PostgreSQL holding many challans.

    python -m benchmarks.portal_load [--challans 100000] [--seconds 20] [--workers 2]

Creates the database if it is missing (default ``nigran_portal_bench``), migrates it and
fills it with ``--challans`` challans (each with its violation; two per registered
vehicle). Then starts gunicorn on 127.0.0.1 (DEBUG off, look-up rate limits raised
through ``NIGRAN_PORTAL_LOOKUPS_PER_*``), and drives the real HTML look-up form with
wrk: a POST with the CSRF cookie and token, plate + CNIC pairs cycling through a file,
9 in 10 of them real owners (302 to the list, a session row written) and 1 in 10 a
wrong CNIC (the neutral 200). Needs ``wrk`` (``apt-get install -y wrk``).

Each found look-up commits a new session row (the citizen's access is held in the
session), so PostgreSQL's commit flush dominates a request's time: gunicorn runs 8
threads per worker to overlap those waits. Cache-backed sessions (Redis) avoid the write.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nigran_portal_bench"
SERIES = ("LEA", "LEB", "LEC", "LED", "LEE", "LEF", "RIA", "RIB", "FDA", "GAA", "MNA", "SGA")
KINDS = ("speeding", "red_light", "bus_lane", "solid_line", "wrong_way")
CHALLANS_PER_VEHICLE = 2
BATCH = 5000

WRK_SCRIPT = r"""
-- POST the look-up form with a fixed CSRF cookie/token, cycling through plate/CNIC pairs.
local pairs_path, token = "%(pairs)s", "%(token)s"
local bodies, threads = {}, {}
for line in io.lines(pairs_path) do
  local plate, cnic = line:match("([^,]+),([^,]+)")
  bodies[#bodies + 1] = "csrfmiddlewaretoken=" .. token .. "&by=vehicle&v-plate=" .. plate
    .. "&v-cnic=" .. cnic
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken=%(cookie)s"

function setup(thread)
  thread:set("offset", #threads * 7919)
  threads[#threads + 1] = thread
end

function init(args)
  index = offset
  found, neutral, limited, other = 0, 0, 0, 0
end

function request()
  index = index + 1
  return wrk.format(nil, "/", nil, bodies[(index %% #bodies) + 1])
end

function response(status, headers, body)
  if status == 302 then found = found + 1
  elseif status == 200 then neutral = neutral + 1
  elseif status == 429 then limited = limited + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local f, n, l, o = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    f = f + t:get("found"); n = n + t:get("neutral")
    l = l + t:get("limited"); o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%%d duration_us=%%d p50_us=%%d p95_us=%%d p99_us=%%d max_us=%%d " ..
    "found=%%d neutral=%%d limited=%%d other=%%d socket_errors=%%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, f, n, l, o,
    e.connect + e.read + e.write + e.timeout))
end
"""


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--challans", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20, help="measured wrk duration")
    parser.add_argument("--warmup-seconds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=8, help="threads per gunicorn worker (overlap DB commits)"
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk open connections")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("NIGRAN_PORTAL_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 300 or not 1 <= args.workers <= 8:
        parser.error("--seconds must be 1..300 and --workers 1..8 (a bounded, local benchmark)")
    return args


def _ensure_database(database_url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(database_url)
    params = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or "postgres",
        "dbname": "postgres",
        "autocommit": True,
    }
    if config.get("PASSWORD"):
        params["password"] = config["PASSWORD"]
    with psycopg.connect(**params) as connection:
        name = config["NAME"]
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enforcement.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _plate(index: int) -> str:
    return f"{SERIES[index % len(SERIES)]}-{index // len(SERIES) + 1}"


def _cnic(index: int) -> str:
    return f"{35202_0000000_0 + index * 7919:013d}"


def _populate(challans_wanted: int) -> None:
    """Fill the database up to `challans_wanted` challans (idempotent across runs)."""
    from challans.models import Challan, VehicleRegistration
    from enforcement.models import Camera, City
    from violations.models import Violation

    have = Challan.objects.count()
    if have >= challans_wanted:
        print(f"database already holds {have:,} challans")
        return
    Challan.objects.all().delete()
    Violation.objects.all().delete()
    VehicleRegistration.objects.all().delete()
    started_s = time.perf_counter()
    city, _ = City.objects.get_or_create(code="LHR", defaults={"name": "Lahore"})
    cameras = [
        Camera.objects.get_or_create(
            code=f"LHR-BENCH-{n:02d}",
            defaults={
                "name": f"Bench junction {n}",
                "city": city,
                "location": f"Canal Road, junction {n}",
                "width_px": 1280,
                "height_px": 720,
                "fps": 25.0,
                "speed_limit_kmh": 60.0,
            },
        )[0]
        for n in range(1, 11)
    ]
    vehicles = (challans_wanted + CHALLANS_PER_VEHICLE - 1) // CHALLANS_PER_VEHICLE
    random_ = random.Random(20261124)
    for start in range(0, vehicles, BATCH):
        VehicleRegistration.objects.bulk_create(
            VehicleRegistration(
                plate=_plate(i),
                registration_year=str(2005 + i % 20),
                province="Punjab",
                owner_name=f"Owner {i}",
                cnic=_cnic(i),
                address=f"House {i}, Lahore",
                make="Suzuki",
                colour="White",
                vehicle_class="car",
                fine_class="car",
            )
            for i in range(start, min(start + BATCH, vehicles))
        )
    registrations = dict(VehicleRegistration.objects.values_list("plate", "id"))
    now = datetime.now(UTC)
    today = date.today()
    for start in range(0, challans_wanted, BATCH):
        stop = min(start + BATCH, challans_wanted)
        violations = Violation.objects.bulk_create(
            Violation(
                camera=cameras[i % len(cameras)],
                kind=KINDS[i % len(KINDS)],
                occurred_at=now - timedelta(minutes=i),
                frame_index=i,
                track_id=i,
                vehicle_class="car",
                speed_kmh=70.0 + i % 40,
                limit_kmh=60.0,
                plate=_plate(i // CHALLANS_PER_VEHICLE),
                plate_read=_plate(i // CHALLANS_PER_VEHICLE),
                status=Violation.Status.CHALLAN_ISSUED,
            )
            for i in range(start, stop)
        )
        Challan.objects.bulk_create(
            Challan(
                number=f"PSCA-LHR-2026-{i + 1:07d}",
                violation=violation,
                registration_id=registrations[violation.plate],
                city_code="LHR",
                plate=violation.plate,
                owner_cnic=_cnic(i // CHALLANS_PER_VEHICLE),
                fine_class="car",
                amount_pkr=random_.choice((2000, 5000, 10000)),
                issued_at=violation.occurred_at,
                due_date=today + timedelta(days=10 - (i % 30)),
                psid=f"{10**16 + i:017d}",
            )
            for i, violation in zip(range(start, stop), violations, strict=True)
        )
        print(f"  {stop:,} / {challans_wanted:,} challans", end="\r", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\ninserted {challans_wanted:,} challans in {time.perf_counter() - started_s:.1f} s")


def _clear_sessions() -> None:
    """Start every run from an empty session table (earlier runs leave thousands)."""
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


def _write_pairs(path: Path, vehicles: int, count: int = 5000) -> None:
    random_ = random.Random(7)
    lines = []
    for _ in range(count):
        i = random_.randrange(vehicles)
        # 1 in 10 with a wrong CNIC: the neutral answer is part of the real traffic.
        cnic = _cnic(i) if random_.random() >= 0.1 else _cnic(i + 1)
        lines.append(f"{_plate(i).replace('-', '%20')},{cnic[:5]}-{cnic[5:12]}-{cnic[12]}")
    path.write_text("\n".join(lines) + "\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_gunicorn(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "enforcement.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "portal-load-benchmark-secret-" + os.urandom(16).hex(),
        "DATABASE_URL": args.database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        # The benchmark is one client hammering from one address: lift the look-up limits.
        "NIGRAN_PORTAL_LOOKUPS_PER_IP": str(10**9),
        "NIGRAN_PORTAL_LOOKUPS_PER_PLATE": str(10**9),
        "NIGRAN_PORTAL_LOOKUPS_PER_CNIC": str(10**9),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "enforcement.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    _stop(process)
    raise RuntimeError(f"gunicorn did not answer in 60 s; see {log_path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _csrf(port: int) -> tuple[str, str]:
    """The CSRF cookie and a form token, fetched the way a browser gets them."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"http://127.0.0.1:{port}/", timeout=5) as response:
        page = response.read().decode()
    cookie = next((c.value for c in jar if c.name == "csrftoken"), None)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if cookie is None or match is None:
        raise RuntimeError("the look-up page did not set a CSRF cookie and token")
    return cookie, match.group(1)


def _run_wrk(port: int, script: Path, seconds: int, connections: int) -> dict[str, int]:
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WRK ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    _ensure_database(args.database_url)
    _setup_django(args.database_url)
    _populate(args.challans)
    _clear_sessions()
    vehicles = (args.challans + CHALLANS_PER_VEHICLE - 1) // CHALLANS_PER_VEHICLE
    with tempfile.TemporaryDirectory(prefix="portal-load-") as folder:
        work = Path(folder)
        pairs = work / "pairs.csv"
        _write_pairs(pairs, vehicles)
        port = _free_port()
        gunicorn = _start_gunicorn(args, port, work / "gunicorn.log")
        try:
            cookie, token = _csrf(port)
            script = work / "lookup.lua"
            script.write_text(WRK_SCRIPT % {"pairs": pairs, "token": token, "cookie": cookie})
            _run_wrk(port, script, args.warmup_seconds, args.connections)
            load_before = os.getloadavg()[0]
            stats = _run_wrk(port, script, args.seconds, args.connections)
            load_after = os.getloadavg()[0]
        finally:
            _stop(gunicorn)
            log_tail = (work / "gunicorn.log").read_text(errors="replace")[-2000:]
    rps = stats["requests"] / (stats["duration_us"] / 1e6)
    errors = stats["other"] + stats["limited"] + stats["socket_errors"]
    rows = [
        ("challans in the database", f"{args.challans:,}"),
        ("gunicorn", f"{args.workers} workers x {args.threads} threads (gthread)"),
        (
            "wrk",
            f"{min(2, args.connections)} threads, {args.connections} connections, {args.seconds} s",
        ),
        ("requests", f"{stats['requests']:,}"),
        ("found (302) / neutral (200)", f"{stats['found']:,} / {stats['neutral']:,}"),
        ("requests/s", f"{rps:.0f}"),
        (
            "p50 / p95 / p99 ms",
            "{:.1f} / {:.1f} / {:.1f}".format(
                stats["p50_us"] / 1000, stats["p95_us"] / 1000, stats["p99_us"] / 1000
            ),
        ),
        ("max ms", f"{stats['max_us'] / 1000:.1f}"),
        ("machine load, 1-min avg", f"{load_before:.1f} before, {load_after:.1f} after"),
        (
            "errors (429, other, socket)",
            f"{stats['limited']} / {stats['other']} / {stats['socket_errors']}",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print("\nPortal look-up (POST / with plate + CNIC) under load")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    if errors:
        print(f"\ngunicorn log tail:\n{log_tail}")
    print(
        f"RESULT rps={rps:.0f} p50_ms={stats['p50_us'] / 1000:.1f} "
        f"p95_ms={stats['p95_us'] / 1000:.1f} p99_ms={stats['p99_us'] / 1000:.1f} errors={errors}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
