"""Importing an Excise CSV export."""

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from challans.management.commands.import_registry import REQUIRED
from challans.models import VehicleRegistration

pytestmark = pytest.mark.django_db

ROWS = [
    ["lea 6879", "2008", "Punjab", "Muhammad Asif Khan", "35202-1234567-3", "Model Town, Lahore",
     "03001234567", "", "Suzuki Mehran", "White", "car", "800"],
    ["RIA-9133", "2019", "Punjab", "Ayesha Malik", "3740598765432", "Saddar, Rawalpindi",
     "", "ayesha@example.pk", "Toyota Fortuner", "Black", "car", "2700"],
    ["FDA-12", "2015", "Punjab", "Bad Cnic", "12345", "D Ground, Faisalabad",
     "", "", "Honda CD 70", "Red", "motorcycle", "70"],
]  # fmt: skip


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REQUIRED)
        writer.writerows(rows)
    return path


def test_it_imports_rows_and_reports_bad_ones(tmp_path, capsys):
    call_command("import_registry", _write(tmp_path / "x.csv", ROWS))
    out, err = capsys.readouterr()
    assert "created 2" in out and "rejected 1" in out
    assert "line 4" in err and "13 digits" in err
    fortuner = VehicleRegistration.objects.get(plate="RIA-9133")
    assert fortuner.fine_class == "car_over_2000cc"
    assert VehicleRegistration.objects.get(plate="LEA-6879").cnic == "3520212345673"


def test_reimporting_changes_nothing_and_a_new_export_updates(tmp_path, capsys):
    path = _write(tmp_path / "x.csv", ROWS[:2])
    call_command("import_registry", path)
    call_command("import_registry", path)
    assert "unchanged 2" in capsys.readouterr().out.splitlines()[-1]
    moved = [ROWS[0][:5] + ["Johar Town, Lahore"] + ROWS[0][6:]]
    call_command("import_registry", _write(tmp_path / "y.csv", moved))
    assert "updated 1" in capsys.readouterr().out
    assert VehicleRegistration.objects.get(plate="LEA-6879").address == "Johar Town, Lahore"


def test_it_names_missing_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("plate,owner_name\nLEA-1,X\n")
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_registry", path)
