"""The 10,000-transaction gift card's history in a real QTableView, on the app's qasync loop.

The emulators run in their own process (``pos-app sandbox``) on loopback; the LoyaltyDog client
and the view run here, exactly as in the app. Prints:

- open card -> first page painted: from ``HistoryModel.reset_to()`` to the end of the first
  viewport paint that shows rows (median and p95 over ``--rounds`` openings). Target < 300 ms.
- scroll to the end: repeated ``scrollToBottom()`` (the view calls ``fetchMore()``) until all
  10,000 rows are loaded and painted, with the time per page.
- memory: resident set size before opening the card, after all rows are loaded, and the peak in
  between (``VmHWM``, reset first where the kernel allows). Target growth < 50 MB.

Runs offscreen unless a display is available. PySide6 6.12.0 on CPython 3.11 returns ``None``,
``True`` and ``False`` from many calls without a new reference (``processEvents()``,
``killTimer()``, ``emit()``...), and qasync makes such calls for every callback, so this process
would abort (``none_dealloc``) within seconds; where that loss is detected, the three singletons
get a large reserve of references first (CPython 3.12 makes them immortal, to the same effect).

    .venv/bin/python -m benchmarks.history [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import shlex
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtGui import QGuiApplication, QPaintEvent
from PySide6.QtWidgets import QApplication, QTableView

from benchmarks.figures import report_ms
from benchmarks.served import served_sandbox
from pos_app.config import parse_config
from pos_app.credentials import Credentials
from pos_app.domain.outcomes import HistoryPage
from pos_app.gui.history_model import HistoryLoader, HistoryModel, prepare_history_view
from pos_app.providers.loyaltydog import LoyaltyDogClient

FIRST_PAINT_TARGET_MS = 300
MEMORY_TARGET_MB = 50


class TimedView(QTableView):
    """Notes when a paint that shows rows has finished."""

    def __init__(self) -> None:
        super().__init__()
        self.painted_rows_at: float | None = None

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() > 0:
            self.painted_rows_at = time.perf_counter()


def lost_references() -> int:
    """References to None that 100 calls of a void binding lose (0 when PySide6 is sound)."""
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(100):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None)


def reserve_singleton_references() -> bool:
    """Give None, True and False a reserve of references when the bindings lose them."""
    if sys.version_info >= (3, 12) or lost_references() < 50:
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40  # ob_refcnt
    return True


def status_kb(field: str) -> int:
    """One ``/proc/self/status`` figure (VmRSS, VmHWM) in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak is this phase's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def loader_for(client: LoyaltyDogClient, card_id: str) -> HistoryLoader:
    def load(offset: int, limit: int) -> Awaitable[HistoryPage]:
        return client.history(card_id, offset=offset, limit=limit)

    return load


async def until(condition: Any, timeout: float = 30.0) -> None:
    """Yield to the qasync loop (which paints too) until ``condition()``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark waited too long")
        await asyncio.sleep(0.0005)


def repaint_times(view: TimedView, steps: int = 200) -> list[float]:
    """Jump anywhere in the loaded rows and paint the viewport at once: one frame each."""
    bar = view.verticalScrollBar()
    samples: list[float] = []
    for step in range(steps):
        started = time.perf_counter()
        bar.setValue(bar.maximum() * ((step * 37) % steps) // steps)
        view.viewport().repaint()
        samples.append(time.perf_counter() - started)
    return samples


async def open_card(view: TimedView, model: HistoryModel, loader: HistoryLoader) -> float:
    """Seconds from opening the card to the first painted rows."""
    model.clear()
    await asyncio.sleep(0.05)
    view.painted_rows_at = None
    started = time.perf_counter()
    model.reset_to(loader)
    await until(lambda: view.painted_rows_at is not None)
    assert view.painted_rows_at is not None
    return view.painted_rows_at - started


async def main(rounds: int, reserved: bool) -> None:
    with served_sandbox(seed=0) as (url, seed):
        ld = seed["loyaltydog"]
        big = max(ld["cards"], key=lambda card: card["transactionCount"])
        other = next(card for card in ld["cards"] if card["role"] == "active-partly-used")
        config = parse_config(
            {
                "loyaltydog": {
                    "base_url": f"{url}/loyaltydog",
                    "program_id": ld["program_id"],
                    "username": ld["username"],
                }
            }
        )
        assert config.loyaltydog is not None
        client = LoyaltyDogClient(config.loyaltydog, Credentials({"loyaltydog": ld["password"]}))

        view = TimedView()
        prepare_history_view(view)
        model = HistoryModel(None)
        view.setModel(model)
        view.resize(1000, 700)
        view.show()

        # Warm-up, as at the till: logged in, the card looked up, Qt has painted a table before.
        await client.card(big["id"])
        await open_card(view, model, loader_for(client, other["id"]))
        await until(lambda: not model.loading)

        model.clear()
        await asyncio.sleep(0.1)
        gc.collect()
        rss_before = status_kb("VmRSS")
        peak_is_own = reset_peak()

        first_paint = await open_card(view, model, loader_for(client, big["id"]))
        await until(lambda: not model.loading)

        arrived: list[float] = []
        model.rowsLoaded.connect(lambda _count: arrived.append(time.perf_counter()))
        pages: list[float] = []
        started = time.perf_counter()
        while model.canFetchMore(QModelIndex()):
            asked = time.perf_counter()
            before = len(arrived)
            view.scrollToBottom()
            await until(lambda n=before: len(arrived) > n or not model.canFetchMore(QModelIndex()))
            pages.append(arrived[-1] - asked)
        view.painted_rows_at = None
        view.scrollToBottom()
        view.viewport().update()
        await until(lambda: view.painted_rows_at is not None)
        assert view.painted_rows_at is not None
        scroll_total = view.painted_rows_at - started
        rows = model.rowCount()
        unique = len({model.transaction(row).id for row in range(rows)})
        gc.collect()
        rss_after = status_kb("VmRSS")
        peak = status_kb("VmHWM")
        last_shown = view.rowAt(view.viewport().height() - 1)
        frames = repaint_times(view)

        paints = [first_paint]
        for _ in range(rounds - 1):
            paints.append(await open_card(view, model, loader_for(client, big["id"])))
            await until(lambda: not model.loading)
        await client.aclose()
        view.close()

    python = os.path.relpath(sys.executable)
    command = shlex.join([python, "-m", "benchmarks.history", *sys.argv[1:]])
    print(f"$ {command}")
    if reserved:
        print("PySide6 loses references to None/True/False here; a reserve was added (see top)")
    print(
        f"history of gift card {big['cardNumber'][-4:]} ({big['transactionCount']} transactions), "
        f"pos-app sandbox on loopback, Qt platform {QGuiApplication.platformName()}, "
        f"PySide6 on qasync"
    )
    print(
        f"first open after warm-up: {first_paint * 1000:.1f} ms "
        "(the emulator builds this card's history on its first read)"
    )
    median = report_ms("open card -> first page painted", paints)
    print(f"target: < {FIRST_PAINT_TARGET_MS} ms (median {median * 1000:.1f} ms)")
    report_ms("one more page after scrolling", pages)
    visible = view.rowAt(view.viewport().height() - 1) - view.rowAt(0) + 1
    report_ms(f"jump + repaint ({visible} rows)", frames)
    print(
        f"scroll to the end: {scroll_total:.2f} s, {len(pages)} fetches after the first page; "
        f"{rows} rows, {unique} unique, last row shown {last_shown}"
    )
    growth = (rss_after - rss_before) / 1024
    peak_growth = (peak - rss_before) / 1024
    print(
        f"memory: RSS {rss_before / 1024:.1f} MB before, {rss_after / 1024:.1f} MB after "
        f"(+{growth:.1f} MB, {(rss_after - rss_before) * 1024 / max(rows, 1):.0f} bytes/row); "
        f"peak +{peak_growth:.1f} MB"
        + ("" if peak_is_own else " (VmHWM could not be reset: peak includes the warm-up)")
    )
    print(f"target: < {MEMORY_TARGET_MB} MB growth")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    app = QApplication(sys.argv[:1])  # before the loop: qasync drives this application
    reserved = reserve_singleton_references()
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(main(arguments.rounds, reserved))
