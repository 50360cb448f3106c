"""Scan to balance: from the last key of a wedge scan (its Enter) to the balance painted.

The real window, scanner filter, lookup service and clients, against ``pos-app sandbox`` in its
own process on loopback with no injected latency. Keys are sent to the window 5 ms apart, as a
scanner types. Target: p95 under 50 ms.

    .venv/bin/python -m benchmarks.scan_to_balance [--scans 100]   (offscreen unless DISPLAY)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

if "DISPLAY" not in os.environ:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

import qasync
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from benchmarks.figures import report_ms
from benchmarks.served import served_sandbox
from pos_app.domain import Money
from pos_app.gui.counter_screen import CounterScreen
from pos_app.gui.main_window import MainWindow
from pos_app.journal.connectivity import Reachability
from pos_app.providers.factory import build_backends
from pos_app.scanner import ScannerInput
from pos_app.services.till import Till
from pos_app.training import sandbox_config, sandbox_credentials


class PaintWatch(QObject):
    """Notes when the balance label paints a given text."""

    def __init__(self) -> None:
        super().__init__()
        self.expected = ""
        self.painted_at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Paint
            and self.painted_at is None
            and watched.text() == self.expected  # type: ignore[attr-defined]
        ):
            self.painted_at = time.perf_counter()
        return False


def _key(char: str) -> Qt.Key:
    return Qt.Key(Qt.Key.Key_0.value + int(char))


async def run(scans: int) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with served_sandbox(seed=0) as (url, seed):
        config = sandbox_config(seed, url)
        backends = build_backends(config, sandbox_credentials(seed))
        folder = tempfile.TemporaryDirectory(prefix="tillcard-scan-")
        till = Till.open(Path(folder.name), config, backends)
        till.start()
        view = MainWindow("bench", training=False)
        scanner = ScannerInput(app, config.scanner, windows=lambda: [view.window])
        scanner.install()
        screen = CounterScreen(view, till, scanner=scanner)
        watch = PaintWatch()
        view.balance_value.installEventFilter(watch)
        view.window.resize(1280, 800)
        view.window.show()
        while any(s.state is Reachability.UNKNOWN for s in till.monitor.statuses()):
            await asyncio.sleep(0.05)  # a till that has been on for a moment
        cards = [
            c for c in seed["loyaltydog"]["cards"] if c["status"] == "active" and c["balance"]
        ][:4]
        samples: list[float] = []
        for i in range(scans + 5):
            card = cards[i % len(cards)]
            watch.expected = Money.from_api(card["balance"], "USD").format()
            watch.painted_at = None
            window = view.window.windowHandle()
            for char in card["cardNumber"]:
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    event = QKeyEvent(kind, _key(char), Qt.KeyboardModifier.NoModifier, char)
                    QCoreApplication.sendEvent(window, event)
                await asyncio.sleep(0.005)
            enter = time.perf_counter()
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                event = QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
                QCoreApplication.sendEvent(window, event)
            async with asyncio.timeout(10):
                while watch.painted_at is None:
                    await asyncio.sleep(0.001)
            if i >= 5:  # the first scans warm logins, caches and the emulator
                samples.append(watch.painted_at - enter)
            await asyncio.sleep(0.05)
        screen.close()
        await till.close()
        folder.cleanup()
    print(f"scan to balance painted, {scans} scans of 4 gift cards (16 digits + Enter, 5 ms/key)")
    report_ms("Enter -> balance painted", samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=100)
    scans = parser.parse_args().scans
    QApplication([])
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(run(scans))


if __name__ == "__main__":
    main()
