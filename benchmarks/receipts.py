"""Receipts and shift reports on a big journal: how long a cashier or a manager waits.

A journal in a temporary folder is filled with ``--operations`` done redemptions (default
200,000: about three years of a busy till), the last ``--shift`` of them (default 5,000) inside
an open shift. Then, each timed over ``--samples`` runs:

- finding an operation by its receipt code (a scan at the counter), and building its receipt;
- rendering that receipt to PDF at 58 mm, 80 mm and A4 (Qt offscreen);
- the end-of-shift report of the open shift (journal read + totals), and its CSV.

Targets: a scanned receipt opens in under 50 ms; a receipt renders in under 200 ms; the report
of a 5,000-operation shift is ready in under 1 s.

    .venv/bin/python -m benchmarks.receipts [--operations 200000] [--shift 5000] [--samples 20]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from benchmarks.figures import report_ms
from pos_app.config import AppConfig
from pos_app.domain.receipts import PaperWidth, receipt_code
from pos_app.journal.pending_operations import utc_now
from pos_app.providers.factory import Backends
from pos_app.services.receipts import find_operation, receipt_for
from pos_app.services.shift_reports import report_for, write_csv
from pos_app.services.till import Till

PROVIDERS = ("loyaltydog", "clienttoolbox")


def fill(till: Till, operations: int, shift: int) -> list[str]:
    """Done redemptions, one a minute, the last ``shift`` of them after the shift opened."""
    start = utc_now() - timedelta(minutes=operations + 1)
    keys = [str(uuid.uuid4()) for _ in range(operations)]
    rows = []
    for index, key in enumerate(keys):
        at = (start + timedelta(minutes=index)).isoformat(timespec="microseconds")
        provider = PROVIDERS[index % 2]
        rows.append(
            (
                key,
                index + 1,
                provider,
                "redeem",
                f"card-{index % 500}",
                "{}",
                "done",
                at,
                at,
                "•••• 7608",
                "Redeem $ 1.00 from gift card •••• 7608",
                till.terminal,
                f"cashier-{index % 4}",
                "1.00",
                "USD",
                json.dumps({"transaction_id": f"t{index}", "balance_after": "9.00",
                            "currency": "USD"}),
            )
        )  # fmt: skip
    with till.db:
        till.db.executemany(
            "INSERT INTO operations (key, seq, provider, kind, card, payload, state, created_at,"
            " updated_at, masked, description, terminal, cashier, amount, currency, result)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    opened = start + timedelta(minutes=operations - shift) - timedelta(seconds=30)
    till.shifts.open("bench", at=opened)
    return keys


def timed(samples: int, work: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(samples):
        began = time.perf_counter()
        work()
        out.append(time.perf_counter() - began)
    return out


def measure(till: Till, keys: list[str], samples: int, folder: Path) -> None:
    from pos_app.printing.receipt_print import receipt_pdf

    codes = iter([receipt_code(k) for k in random.Random(1).sample(keys, samples)])

    def scan() -> None:
        entry = find_operation(till, next(codes))
        assert entry is not None
        receipt_for(till, entry)

    report_ms("scan receipt -> receipt", timed(samples, scan))
    entry = find_operation(till, receipt_code(keys[-1]))
    assert entry is not None
    slip = receipt_for(till, entry)
    pdf = folder / "r.pdf"
    for paper in PaperWidth:
        report_ms(
            f"receipt PDF {paper.label}",
            timed(samples, functools.partial(receipt_pdf, slip, pdf, paper)),
        )
    report = report_for(till)
    assert report is not None
    print(f"shift report: {report.total.redemptions} redemptions in the shift")
    report_ms("shift report", timed(samples, functools.partial(report_for, till)))

    def with_csv() -> None:
        done = report_for(till)
        assert done is not None
        write_csv(done, folder / "shift.csv")

    report_ms("shift report + CSV", timed(samples, with_csv))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--operations", type=int, default=200_000)
    parser.add_argument("--shift", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as name:
        folder = Path(name)
        till = Till.open(folder / "data", AppConfig(), Backends())
        try:
            began = time.perf_counter()
            keys = fill(till, args.operations, args.shift)
            print(
                f"journal: {args.operations} operations, shift of {args.shift} "
                f"(filled in {time.perf_counter() - began:.1f} s)"
            )
            measure(till, keys, args.samples, folder)
        finally:
            asyncio.run(till.close())
    del app


if __name__ == "__main__":
    main()
