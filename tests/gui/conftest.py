"""GUI tests run the real screen on a qasync loop, as the app does.

Each test body is one coroutine run with ``run_until_complete`` (the ``run`` fixture): qasync
runs a last ``processEvents`` after each ``run_until_complete`` with no running loop, so many
short runs would step tasks outside the loop. Inside the body, keys go to widgets with QTest
(never to a QWindow, which would spin a nested event loop inside the running task).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

Cleanup = Callable[[], Coroutine[Any, Any, Any]]


class Run:
    """Runs a test body, then its cleanups and every leftover task, inside one loop run."""

    def __init__(self, loop: qasync.QEventLoop) -> None:
        self.loop = loop
        self.cleanups: list[Cleanup] = []

    def __call__(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        async def whole() -> Any:
            try:
                return await asyncio.wait_for(coro, timeout)
            finally:
                for cleanup in reversed(self.cleanups):
                    await cleanup()
                self.cleanups.clear()
                current = asyncio.current_task()
                others = [t for t in asyncio.all_tasks() if t is not current]
                for task in others:
                    task.cancel()
                await asyncio.gather(*others, return_exceptions=True)

        return self.loop.run_until_complete(whole())


@pytest.fixture(scope="session")
def _session_qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """One qasync loop for the session: a closed loop collected later (possibly on a server
    thread) leaves Qt timers behind that crash the next processEvents."""
    loop = qasync.QEventLoop(qapp)
    yield loop
    loop.close()
    gc.collect()


@pytest.fixture
def qloop(_session_qloop: qasync.QEventLoop) -> Iterator[qasync.QEventLoop]:
    asyncio.set_event_loop(_session_qloop)
    try:
        yield _session_qloop
    finally:
        asyncio.set_event_loop(None)


@pytest.fixture
def run(qloop: qasync.QEventLoop) -> Run:
    return Run(qloop)


async def eventually(predicate: Callable[[], object], timeout: float = 10) -> None:
    """Let the loop run until ``predicate()`` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
