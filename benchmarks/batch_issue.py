"""Issue a batch of challans through a real Redis broker and real worker processes.

Creates (drops and re-creates) the PostgreSQL database ``nigran_batch``, loads the fine
schedule and registry fixtures, bulk-creates N approved violations with registered
plates and real evidence images, starts the worker processes, enqueues N
``challans.issue_challan`` tasks and waits. With ``--kill-one`` one worker is killed with
SIGKILL halfway and restarted. Then it counts challans, PDF files on disk, duplicates
and missing ones.

Run: ``python -m benchmarks.batch_issue --count 10000 --workers 2 [--kill-one]``
Needs PostgreSQL at ``--pg`` and Redis at ``--redis`` (db 2 is flushed).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "nigran_batch"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL a worker halfway")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--media", type=Path, default=ROOT / "var" / "bench" / "batch-media")
    parser.add_argument("--timeout-s", type=float, default=1500.0)
    return parser.parse_args()


def configure_environment(args: argparse.Namespace) -> dict[str, str]:
    """Settings for this process and the workers (all read from the environment)."""
    env = {
        "DATABASE_URL": f"{args.pg}/{DB_NAME}",
        "CELERY_BROKER_URL": args.redis,
        "MEDIA_ROOT": str(args.media),
        "DJANGO_SETTINGS_MODULE": "enforcement.settings",
        # Notices are still claimed and recorded; nothing is mailed or written to var/outbox.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    return {**os.environ, **env}


def recreate_database(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def seed(count: int, media: Path) -> list[int]:
    """N approved violations of registered vehicles, sharing three real evidence files."""
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.utils import timezone

    from challans.models import VehicleRegistration
    from enforcement.models import Camera, City
    from violations.models import Evidence, Violation, evidence_upload_to

    call_command("migrate", verbosity=0)
    call_command("loaddata", "fine_schedule", "registry", verbosity=0)
    city = City.objects.create(code="LHR", name="Lahore")
    camera = Camera.objects.create(
        code="LHR-MALL-01",
        name="Mall Road at Regal Chowk",
        city=city,
        location="Mall Road at Regal Chowk, Lahore",
        width_px=1280,
        height_px=720,
        fps=25.0,
        speed_limit_kmh=60.0,
    )
    plates = list(VehicleRegistration.objects.values_list("plate", "vehicle_class"))
    files = []
    for kind, name in (
        ("frame", "frame_a.jpg"),
        ("frame", "frame_b.jpg"),
        ("plate_crop", "plate_crop.jpg"),
    ):
        data = (ROOT / "tests" / "data" / "challans" / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        stub = Evidence(sha256=digest)
        stored = evidence_upload_to(stub, name)
        if not default_storage.exists(stored):
            from django.core.files.base import ContentFile

            default_storage.save(stored, ContentFile(data))
        files.append((kind, stored, digest, len(data)))
    start = timezone.now() - timedelta(days=1)
    violations = Violation.objects.bulk_create(
        [
            Violation(
                camera=camera,
                kind="speeding",
                occurred_at=start + timedelta(seconds=n),
                frame_index=n,
                track_id=n + 1,
                vehicle_class=plates[n % len(plates)][1],
                speed_kmh=70.0 + n % 40,
                limit_kmh=60.0,
                plate_read=plates[n % len(plates)][0],
                plate=plates[n % len(plates)][0],
                status=Violation.Status.APPROVED,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    Evidence.objects.bulk_create(
        [
            Evidence(
                violation=violation,
                kind=kind,
                role=kind,
                file=stored,
                sha256=digest,
                size_bytes=size,
                frame_index=violation.frame_index,
                captured_at=violation.occurred_at,
            )
            for violation in violations
            for kind, stored, digest, size in files
        ],
        batch_size=5000,
    )
    return [v.pk for v in violations]


class Worker:
    """One ``celery worker`` process (prefork, one child) in its own process group."""

    def __init__(self, index: int, env: dict[str, str], log_dir: Path) -> None:
        self.index = index
        self.env = env
        self.log_path = log_dir / f"worker-{index}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.generation = 0

    def start(self) -> None:
        self.generation += 1
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "benchmarks.batch_celery", "worker",
                "--loglevel=WARNING", "--concurrency=1", "-Q", "celery",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"bench{self.index}-{self.generation}@%h",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def count_results(violation_ids: list[int], media: Path) -> dict[str, int]:
    from django.db.models import Count

    from challans.models import Challan, ChallanDocument

    challans = Challan.objects.filter(violation_id__in=violation_ids)
    per_violation = challans.values("violation_id").annotate(n=Count("id")).filter(n__gt=1)
    documents = ChallanDocument.objects.filter(challan__in=challans)
    files = {str(p.relative_to(media)) for p in (media / "challans").rglob("*.pdf")}
    referenced = set(documents.values_list("file", flat=True))
    done = challans.filter(pdf_version__gte=1).count()
    return {
        "challans": challans.count(),
        "pdfs": len(files),
        "duplicates": per_violation.count()
        + (documents.count() - documents.values("challan_id", "version").distinct().count())
        + len(files - referenced),
        "missing": len(violation_ids) - done + len(referenced - files),
    }


def main() -> None:
    args = parse_args()
    env = configure_environment(args)
    import django
    import redis

    shutil.rmtree(args.media, ignore_errors=True)
    args.media.mkdir(parents=True)
    recreate_database(args.pg)
    django.setup()
    redis.Redis.from_url(args.redis).flushdb()

    from tqdm import tqdm

    from challans.models import Challan
    from challans.tasks import issue_challan
    from enforcement.celery import app

    t0 = time.perf_counter()
    violation_ids = seed(args.count, args.media)
    print(f"seeded {len(violation_ids)} approved violations in {time.perf_counter() - t0:.1f} s")

    log_dir = args.media.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = [Worker(n + 1, env, log_dir) for n in range(args.workers)]
    for worker in workers:
        worker.start()
    killed = False
    started = time.perf_counter()
    try:
        with app.producer_or_acquire() as producer:
            for violation_id in violation_ids:
                issue_challan.apply_async((violation_id,), producer=producer)
        print(f"enqueued {len(violation_ids)} tasks in {time.perf_counter() - started:.1f} s")
        with tqdm(total=len(violation_ids), unit="challan") as bar:
            done = 0
            while done < len(violation_ids):
                if time.perf_counter() - started > args.timeout_s:
                    print(f"timed out after {args.timeout_s} s")
                    break
                time.sleep(1.0)
                now_done = Challan.objects.filter(pdf_version__gte=1).count()
                bar.update(now_done - done)
                done = now_done
                if args.kill_one and not killed and done >= len(violation_ids) // 2:
                    workers[0].kill()
                    killed = True
                    bar.write(f"SIGKILL worker 1 at {done} challans; restarting it")
                    workers[0].start()
        seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.stop()
    counts = count_results(violation_ids, args.media)
    print(
        f"{'violations':>10} {'challans':>9} {'pdfs':>6} {'dupl.':>6} {'missing':>8} {'seconds':>8} {'per s':>6}"
    )
    print(
        f"{len(violation_ids):>10} {counts['challans']:>9} {counts['pdfs']:>6} "
        f"{counts['duplicates']:>6} {counts['missing']:>8} {seconds:>8.1f} "
        f"{counts['challans'] / seconds:>6.1f}"
    )
    print(
        f"RESULT challans={counts['challans']} pdfs={counts['pdfs']} "
        f"duplicates={counts['duplicates']} missing={counts['missing']} seconds={seconds:.1f}"
        + (" killed=1" if killed else "")
    )


if __name__ == "__main__":
    main()
