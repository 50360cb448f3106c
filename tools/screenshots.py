"""Regenerate docs/screenshots/ by running the real app under Xvfb and driving it with xdotool.

Usage: python tools/screenshots.py [OUTPUT_DIR]  (needs xvfb, xdotool, imagemagick, libxcb-cursor0)

One training session, one script: scans are typed at scanner speed (5 ms a key), amounts at a
person's speed, and each shot is taken after the screen has settled. The offline shots use the
training switch (Ctrl+Shift+O) that makes the emulated back-ends unreachable; the one
needs-attention row is written into the training journal by this script (WAL lets it write
while the app runs), as another till's refusal would leave it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

DISPLAY = ":97"
SIZE = "1280x800"
GIFT_CARD = "6878977827625429"  # seed 0: the card with 10,000 transactions
STAMP_CARD = "ZTLKCIUD"  # seed 0: Ana Kowalski, 7 of 10 stamps
POINTS_CARD = "3141592653"  # seed 0: Amy Acker, 1250 points
UNKNOWN = "9999888877776666"
GIFT_100 = "6215943836307608"  # seed 0: Alice Martin, $ 100.00
STAGE = "stage-needs-attention"  # not an xdotool command: see _stage_needs_attention
LAST_RECEIPT = "type-last-receipt"  # not an xdotool command: see _last_receipt_code

# (shot name or None, xdotool commands run before it, seconds to settle)
SCRIPT: list[tuple[str | None, list[list[str]], float]] = [
    ("training", [], 2.0),
    ("gift_card", [["type", "--delay", "5", GIFT_CARD], ["key", "Return"]], 2.5),
    ("redeem_dialog", [["key", "F2"], ["type", "--delay", "150", "25.50"]], 1.0),
    ("redeem_done", [["key", "Return"]], 2.0),
    (None, [["key", "Escape"], ["key", "Escape"]], 0.5),
    ("stamp_card", [["type", "--delay", "5", STAMP_CARD], ["key", "Return"]], 2.0),
    ("stamps_dialog", [["key", "F3"], ["key", "plus"]], 1.0),
    (None, [["key", "Escape"], ["key", "Escape"]], 0.5),
    ("points", [["type", "--delay", "5", POINTS_CARD], ["key", "Return"]], 2.0),
    (None, [["key", "Escape"]], 0.5),
    ("error_state", [["type", "--delay", "5", UNKNOWN], ["key", "Return"]], 2.0),
    (None, [["key", "Escape"], [STAGE]], 0.5),
    # Offline: PENDING, the manager PIN over the offline cap, then the pending list (F9).
    (None, [["type", "--delay", "5", GIFT_100], ["key", "Return"]], 2.0),
    (None, [["key", "ctrl+shift+o"]], 3.0),
    ("pending_dialog", [["key", "F2"], ["type", "--delay", "150", "20"], ["key", "Return"]], 2.0),
    ("pending_state", [["key", "Return"]], 1.0),
    (
        "manager_pin",
        [
            ["key", "F2"],
            ["type", "--delay", "150", "60"],
            ["key", "Return"],
            ["type", "--delay", "150", "1234"],
            ["key", "Return"],
        ],
        2.0,
    ),
    (None, [["type", "--delay", "150", "0000"], ["key", "Return"]], 2.0),
    (None, [["key", "Return"]], 1.0),
    ("pending_view", [["key", "F9"], ["key", "Down"], ["key", "Down"]], 1.5),
]


def shift_shots() -> list[tuple[str | None, list[list[str]], float]]:
    """Sign-in (F12) and the end-of-shift report (F10), after the pending list above.

    Back online first, so the offline redemptions sync; then a wrong PIN in the sign-in dialog
    (its error line is the shot), the training manager signs in, does a little work (one stamp
    offline, so the report has a PENDING figure), and opens the shift report, which needs no
    second PIN for a manager.
    """
    return [
        (None, [["key", "Escape"], ["key", "Escape"], ["key", "ctrl+shift+o"]], 4.0),
        (
            "sign_in",
            [
                ["key", "F12"],
                ["type", "--delay", "120", "Ana"],
                ["key", "Tab"],
                ["type", "--delay", "150", "1111"],
                ["key", "Return"],
            ],
            1.5,
        ),
        (
            None,
            [
                ["key", "shift+Tab"],
                ["key", "ctrl+a"],
                ["type", "--delay", "60", "Training manager"],
                ["key", "Tab"],
                ["type", "--delay", "150", "0000"],
                ["key", "Return"],
            ],
            1.5,
        ),
        (None, [["type", "--delay", "5", STAMP_CARD], ["key", "Return"]], 2.0),
        (None, [["key", "F3"], ["key", "plus"], ["key", "Return"]], 2.0),
        (None, [["key", "Return"], ["key", "Escape"]], 0.5),
        (None, [["type", "--delay", "5", GIFT_CARD], ["key", "Return"]], 2.5),
        (None, [["key", "F2"], ["type", "--delay", "150", "5"], ["key", "Return"]], 2.0),
        (None, [["key", "Return"], ["key", "Escape"]], 0.5),
        # One stamp made offline: the report counts it apart, as PENDING.
        (None, [["key", "ctrl+shift+o"]], 3.0),
        (None, [["type", "--delay", "5", STAMP_CARD], ["key", "Return"]], 2.0),
        (None, [["key", "F3"], ["key", "Return"]], 2.0),
        (None, [["key", "Return"], ["key", "Escape"]], 0.5),
        ("shift_report", [["key", "F10"]], 2.0),
    ]


def receipt_shots() -> list[tuple[str | None, list[list[str]], float]]:
    """A redemption's receipt in the preview (Ctrl+P), then that receipt scanned back."""
    return [
        (None, [["key", "Escape"], ["key", "Escape"], ["key", "ctrl+shift+o"]], 4.0),
        (None, [["type", "--delay", "5", GIFT_100], ["key", "Return"]], 2.0),
        (None, [["key", "F2"], ["type", "--delay", "150", "12.50"], ["key", "Return"]], 2.0),
        (None, [["key", "Return"], ["key", "Escape"]], 0.5),
        ("receipt_preview", [["key", "ctrl+p"]], 2.0),
        (None, [["key", "Escape"]], 0.5),
        ("operation_view", [[LAST_RECEIPT], ["key", "Return"]], 2.0),
        ("operation_undone", [["key", "F8"]], 3.0),
    ]


def back_office_shots() -> list[tuple[str | None, list[list[str]], float]]:
    """The back office (F11): a campaign's balances after a fetch, the charts, and the Staff
    tab just after a cashier was added (to the training journal only).

    The training manager signs in first (F12), so F11 opens it without a second PIN; the
    campaign picker starts on the first configured campaign (Tillcard Points, 379 customers).
    """
    return [
        (None, [["key", "Escape"], ["key", "Escape"], ["key", "Escape"]], 0.5),
        (
            None,
            [
                ["key", "F12"],
                ["type", "--delay", "60", "Training manager"],
                ["key", "Tab"],
                ["type", "--delay", "150", "0000"],
                ["key", "Return"],
            ],
            1.5,
        ),
        (None, [["key", "F11"]], 2.0),
        ("back_office_balances", [["key", "ctrl+2"], ["key", "alt+f"]], 4.0),
        ("back_office_charts", [["key", "ctrl+3"]], 1.5),
        (
            "back_office_staff",
            [
                ["key", "ctrl+5"],
                ["key", "alt+n"],
                ["type", "--delay", "60", "Bea Lopez"],
                ["key", "alt+p"],
                ["type", "--delay", "150", "2468"],
                ["key", "Return"],
                ["type", "--delay", "150", "2468"],
                ["key", "Return"],
            ],
            2.0,
        ),
        (None, [["key", "Escape"]], 0.5),
    ]


def _last_receipt_code(data_dir: Path) -> str:
    """The receipt code of the newest redemption in the training journal, as its barcode says."""
    import sqlite3

    from pos_app.domain.receipts import receipt_code

    db = sqlite3.connect(data_dir / "training" / "journal.sqlite3")
    try:
        (key,) = db.execute(
            "SELECT key FROM operations WHERE kind = 'redeem' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    return receipt_code(str(key))


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        sys.exit(f"{tool} is missing: apt-get install -y xvfb xdotool imagemagick libxcb-cursor0")


def _xdo(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def _stage_needs_attention(data_dir: Path) -> None:
    """One operation another till made impossible: what a manager resolves in the F9 view."""
    from pos_app.domain import Money, OperationKind, Provider
    from pos_app.journal.database import open_journal
    from pos_app.journal.pending_operations import NewEntry, PendingOperations

    db = open_journal(data_dir / "training")
    try:
        operations = PendingOperations(db)
        entry = operations.add(
            NewEntry(
                key=str(uuid.uuid4()),
                provider=Provider.LOYALTYDOG,
                kind=OperationKind.REDEEM,
                card="staged-for-screenshots",
                payload={},
                masked="•••• 5429",
                description="Redeem $ 35.00 from gift card •••• 5429",
                terminal="training-till",
                amount=Money(Decimal("35.00"), "USD"),
                created_at=datetime.now(UTC) - timedelta(minutes=47),
            )
        )
        operations.needs_attention(
            entry.key,
            "Insufficient balance: the card was spent at another till while this one was "
            "offline. Collect $ 35.00 another way, then resolve.",
        )
    finally:
        db.close()


def main() -> int:
    for tool in ("Xvfb", "xdotool", "import"):
        _need(tool)
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{SIZE}x24", "-nolisten", "tcp"])
    env = {**os.environ, "DISPLAY": DISPLAY, "QT_QPA_PLATFORM": "xcb"}
    try:
        time.sleep(1)
        with tempfile.TemporaryDirectory() as data_dir:
            app = subprocess.Popen(
                [sys.executable, "-m", "pos_app", "--training", "--data-dir", data_dir], env=env
            )
            try:
                window = _xdo(env, "search", "--sync", "--name", "Tillcard").splitlines()[0]
                _xdo(env, "windowsize", window, "100%", "100%")
                _xdo(env, "windowfocus", "--sync", window)
                for name, commands, settle in [
                    *SCRIPT,
                    *shift_shots(),
                    *receipt_shots(),
                    *back_office_shots(),
                ]:
                    for command in commands:
                        if command == [STAGE]:
                            _stage_needs_attention(Path(data_dir))
                        elif command == [LAST_RECEIPT]:
                            code = _last_receipt_code(Path(data_dir))
                            _xdo(env, "type", "--delay", "5", code)
                        else:
                            _xdo(env, *command)
                        time.sleep(0.3)
                    time.sleep(settle)
                    if name is not None:
                        path = out_dir / f"{name}.png"
                        subprocess.run(
                            ["import", "-window", "root", str(path)], env=env, check=True
                        )
                        print(f"wrote {path}")
            finally:
                app.terminate()
                app.wait(timeout=10)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
