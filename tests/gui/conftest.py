"""GUI tests run the real screen on a qasync loop, as the app does.

Each test body is one coroutine run with ``run_until_complete`` (the ``run`` fixture): qasync
runs a last ``processEvents`` after each ``run_until_complete`` with no running loop, so many
short runs would step tasks outside the loop. Inside the body, keys go to widgets with QTest
(never to a QWindow, which would spin a nested event loop inside the running task).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest
import qasync
from PySide6.QtWidgets import QApplication, QWidget

from tests.qt_loop import Cleanup, Run, eventually

__all__ = ["Cleanup", "MakeTill", "Run", "eventually"]

if TYPE_CHECKING:
    from pos_app.sandbox.state import Sandbox
    from tests.gui.counter import Counter


class MakeTill(Protocol):
    def __call__(
        self,
        *,
        start: tuple[str, ...] = ("engine", "monitor"),
        config: dict[str, Any] | None = None,
        training: bool = True,
    ) -> Counter: ...


@pytest.fixture
def make_till(
    sandbox_server: tuple[str, Sandbox], qloop: qasync.QEventLoop, run: Run, tmp_path: Path
) -> Iterator[MakeTill]:
    """Builds the counter as the app does: a real Till (journal in tmp_path) over HTTP.

    ``start`` picks the background tasks the app runs (the sync engine and the connectivity
    monitor); ``config`` adds sections (``policy``, ``sync``) to the emulators' configuration;
    ``training`` seeds the training manager (PIN 0000).
    """
    from pos_app.gui.counter_screen import CounterScreen
    from pos_app.gui.main_window import MainWindow
    from pos_app.scanner import ScannerInput
    from pos_app.services.till import Till
    from pos_app.training import sandbox_config
    from tests.gui.counter import Counter
    from tests.services.test_lookup import sandbox_backends

    url, sandbox = sandbox_server
    seed = sandbox.seed_summary()
    windows: list[QWidget] = []

    def make(
        *,
        start: tuple[str, ...] = ("engine", "monitor"),
        config: dict[str, Any] | None = None,
        training: bool = True,
    ) -> Counter:
        settings = sandbox_config(seed, url, terminal_id=f"till-{len(windows) + 1}")
        if config:
            settings = settings.model_copy(
                update={
                    name: getattr(settings, name).model_validate(
                        getattr(settings, name).model_dump() | section
                    )
                    for name, section in config.items()
                }
            )
        backends = sandbox_backends(url, sandbox)
        core = Till.open(
            tmp_path / f"till-{len(windows) + 1}", settings, backends, training=training
        )
        view = MainWindow(settings.terminal.id, training=False)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        scanner = ScannerInput(app, settings.scanner, windows=lambda: [view.window])
        scanner.install()
        screen = CounterScreen(view, core, scanner=scanner)
        tasks: list[asyncio.Task[None]] = []

        def begin() -> None:
            if set(start) == {"engine", "monitor"}:
                core.start()  # as the app does
                return
            if "engine" in start:
                tasks.append(asyncio.ensure_future(core.engine.run()))
            if "monitor" in start:
                tasks.append(asyncio.ensure_future(core.monitor.run()))

        run.startups.append(begin)
        view.window.resize(1280, 800)
        view.window.show()
        view.window.activateWindow()
        view.lookup_input.setFocus()
        windows.append(view.window)

        async def cleanup() -> None:
            screen.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await core.close()

        run.cleanups.append(cleanup)
        probing = "monitor" in start
        return Counter(url, seed, view, screen, backends, qloop, scanner, core, probing)

    try:
        yield make
    finally:
        for window in windows:
            window.close()
            window.deleteLater()


@pytest.fixture
def till(make_till: MakeTill) -> Counter:
    """The counter with the engine and the monitor running, as in the app."""
    return make_till()
