"""The production settings pass Django's deployment checks with the portal installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_the_portal() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "enforcement.settings_production",
        "SECRET_KEY": "k" * 20 + "-portal-test-secret-with-enough-entropy-8f3a9c1e7b",
        "ALLOWED_HOSTS": "echallan.example.pk",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
