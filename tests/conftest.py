"""Shared test fixtures: a real Celery worker process against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where the recogniser runs in PyTorch (``torch_plate_reader``), its convolutions in
# float32 on every machine (bfloat16 where the CPU runs it natively otherwise): a reading
# balanced on a near tie, "9802YTB" at 0.50 beside "980YTB", must not flip with the CI
# machine's CPU. The 8-bit ONNX build computes the same on AVX2 and AVX-512 VNNI.
os.environ.setdefault("NIGRAN_OCR_BF16", "0")
REDIS_URL = os.environ.get("NIGRAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _database_url_for_test_db() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("a live worker needs PostgreSQL: set DATABASE_URL=postgres://...")
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


class LiveWorker:
    """A `celery worker` subprocess sharing this test's database and a Redis broker."""

    def __init__(self, database_url: str, broker_url: str, concurrency: int, queues: str) -> None:
        self.database_url = database_url
        self.broker_url = broker_url
        self.concurrency = concurrency
        self.queues = queues
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"nigran-worker-{os.getpid()}.log"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            DJANGO_SETTINGS_MODULE="enforcement.settings",
            PYTHONPATH=str(ROOT),
        )
        return env

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "enforcement.celery",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "-Q",
                self.queues,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 60.0) -> None:
        from enforcement.celery import app

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log_path}")
            replies = app.control.ping(timeout=1.0)
            if replies:
                return
        raise RuntimeError(f"worker did not answer a ping in {timeout_s} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool children)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()


def _reset_broker_pool(app) -> None:
    """Drop pooled broker connections so the next send uses the current broker_url."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu also keeps a process-wide pool per broker URL; a closed one must not be reused.
    pools.reset()


@pytest.fixture
def live_worker(transactional_db: None) -> Iterator[LiveWorker]:
    """Run tasks through a real Redis broker and a real worker process (not eagerly).

    Uses `transactional_db` so rows the test writes are committed and visible to the
    worker, which connects to the same test database.
    """
    import redis

    from enforcement.celery import app

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is not answering at {REDIS_URL}: start it (see README)")
    redis.Redis.from_url(REDIS_URL).flushdb()

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    app.conf.update(task_always_eager=False, broker_url=REDIS_URL)
    _reset_broker_pool(app)
    worker = LiveWorker(_database_url_for_test_db(), REDIS_URL, concurrency=2, queues="celery")
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        app.conf.update(saved)
        _reset_broker_pool(app)
