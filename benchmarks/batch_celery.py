"""The Celery app as the batch benchmark's workers run it: ``-A benchmarks.batch_celery``.

Same app and tasks; only the broker's redelivery of a killed worker's messages is made
quick (the production default waits an hour, and scans every ~100 s), so the benchmark
measures recovery instead of waiting for it.
"""

from __future__ import annotations

from enforcement.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": 30,
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]
