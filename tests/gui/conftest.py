"""GUI tests run the real screen on a qasync loop, as the app does.

Each test body is one coroutine run with ``run_until_complete`` (the ``run`` fixture): qasync
runs a last ``processEvents`` after each ``run_until_complete`` with no running loop, so many
short runs would step tasks outside the loop. Inside the body, keys go to widgets with QTest
(never to a QWindow, which would spin a nested event loop inside the running task).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest
import qasync
from PySide6.QtWidgets import QWidget

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
    from pos_app.training import sandbox_config
    from tests.gui.counter import open_counter
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
        return open_counter(
            url,
            seed,
            settings,
            sandbox_backends(url, sandbox),
            tmp_path / f"till-{len(windows) + 1}",
            run=run,
            loop=qloop,
            windows=windows,
            start=start,
            training=training,
        )

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
