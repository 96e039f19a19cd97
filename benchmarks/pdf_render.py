"""How fast challan PDFs render on one core, and how big they are.

Each challan carries two real 1280x720 evidence frames and a real plate crop
(``tests/data/challans``), a unique number, PSID and verification URL.

Run: ``python -m benchmarks.pdf_render [--count 200] [--images tests/data/challans]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from challans.pdf import ChallanSheet, SheetImage, render_challan_pdf

ROOT = Path(__file__).resolve().parent.parent


def sheets(count: int, images: Path) -> list[ChallanSheet]:
    frame_a = (images / "frame_a.jpg").read_bytes()
    frame_b = (images / "frame_b.jpg").read_bytes()
    crop = (images / "plate_crop.jpg").read_bytes()
    hashes = tuple(
        (f"{n}. Evidence", hashlib.sha256(data).hexdigest())
        for n, data in enumerate((frame_a, frame_b, crop), start=1)
    )
    moment = datetime(2026, 11, 23, 9, 41, 12, tzinfo=UTC)
    return [
        ChallanSheet(
            number=f"PSCA-LHR-2026-{n + 1:08d}",
            psid=f"{10**16 + n * 7919:017d}",
            city_name="Lahore",
            issued_on=date(2026, 11, 24),
            due_date=date(2026, 12, 4),
            verify_url=f"https://echallan.example.pk/verify/{uuid.UUID(int=n + 1)}/",
            owner_name="Muhammad Asif Khan",
            owner_cnic_masked="35202-*******-3",
            owner_address=f"House {n % 400 + 1}, Street 4, Block C, Model Town, Lahore",
            plate=f"LEA-{1000 + n % 9000}",
            vehicle="Suzuki Mehran, white, car (registered 2008, Punjab)",
            violation="Over-speeding",
            measurement=f"{70 + n % 40} km/h in a 60 km/h zone",
            occurred_at=moment + timedelta(seconds=n),
            location="Mall Road at Regal Chowk, Lahore",
            camera_code="LHR-MALL-01",
            fine_pkr=5000,
            late_total_pkr=10000,
            late_fee_rule="the fine doubles after the due date.",
            frames=(
                SheetImage("1. Frame (before)", frame_a),
                SheetImage("2. Frame (after)", frame_b),
            ),
            plate_crop=SheetImage("Plate close-up", crop),
            evidence_hashes=hashes,
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--images", type=Path, default=ROOT / "tests" / "data" / "challans")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as claimed
    batch = sheets(args.count, args.images)
    render_challan_pdf(batch[0])  # font registration and imports are per process, not per PDF
    durations_s: list[float] = []
    sizes_kb: list[float] = []
    started = time.perf_counter()
    for sheet in batch:
        t0 = time.perf_counter()
        data = render_challan_pdf(sheet)
        durations_s.append(time.perf_counter() - t0)
        sizes_kb.append(len(data) / 1024)
    total_s = time.perf_counter() - started
    per_s = args.count / total_s
    print(
        f"{'challans':>10} {'total s':>9} {'median ms':>10} {'p95 ms':>8} {'mean KB':>8} {'max KB':>8}"
    )
    p95_ms = sorted(durations_s)[int(0.95 * (len(durations_s) - 1))] * 1000
    print(
        f"{args.count:>10} {total_s:>9.2f} {statistics.median(durations_s) * 1000:>10.1f} "
        f"{p95_ms:>8.1f} {statistics.mean(sizes_kb):>8.1f} {max(sizes_kb):>8.1f}"
    )
    print(f"RESULT pdfs_per_s={per_s:.1f} max_pdf_kb={max(sizes_kb):.1f}")


if __name__ == "__main__":
    main()
