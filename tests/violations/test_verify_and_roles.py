"""`verify_evidence` catches tampering; `setup_roles` is idempotent and grants the roles."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.violations.conftest import speeding_event
from violations.services import record_violation_event

pytestmark = pytest.mark.django_db


def test_verify_evidence_passes_on_an_untouched_store(camera):
    record_violation_event(speeding_event())
    out = StringIO()

    call_command("verify_evidence", stdout=out)

    assert "4 evidence records, 4 files checked, 0 problems" in out.getvalue()


def test_verify_evidence_reports_a_tampered_and_a_missing_file(camera, media_root):
    violation, _ = record_violation_event(speeding_event())
    frame, crop = (
        violation.evidence.get(role="zone_entry"),
        violation.evidence.get(role="plate", kind="plate_crop"),
    )
    tampered = Path(media_root, frame.file.name)
    os.chmod(tampered, 0o644)
    tampered.write_bytes(tampered.read_bytes()[:-10] + b"0123456789")
    os.remove(Path(media_root, crop.file.name))
    err = StringIO()

    with pytest.raises(CommandError, match="2 problems"):
        call_command("verify_evidence", stderr=err)

    report = err.getvalue()
    assert f"MISMATCH evidence {frame.pk}" in report
    assert f"MISSING  evidence {crop.pk}" in report


def test_the_roles_exist_after_migrating_with_their_permissions(db):
    def perms(name: str) -> set[str]:
        group = Group.objects.get(name=name)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert {"violations.review_violation", "violations.view_violation"} <= perms("warden")
    assert "violations.second_review_violation" not in perms("warden")
    assert {"violations.second_review_violation", "challans.cancel_challan"} <= perms("supervisor")
    assert "enforcement.change_camera" in perms("operator")
    assert "violations.review_violation" not in perms("operator")


def test_setup_roles_is_idempotent_and_restores_a_removed_permission(db):
    warden = Group.objects.get(name="warden")
    before = set(warden.permissions.values_list("id", flat=True))
    warden.permissions.clear()

    call_command("setup_roles", stdout=StringIO())
    call_command("setup_roles", stdout=StringIO())

    assert set(warden.permissions.values_list("id", flat=True)) == before
    assert Group.objects.filter(name="warden").count() == 1
