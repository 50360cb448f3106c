"""The qasync loop every Qt test runs on, as the app does (a plugin: see tests/conftest.py).

Each test body is one coroutine run with ``run_until_complete`` (the ``run`` fixture): qasync
runs a last ``processEvents`` after each ``run_until_complete`` with no running loop, so many
short runs would step tasks outside the loop. One loop serves the whole session, GUI and
reliability tests alike: a second loop on the same QApplication would fight the first.
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
    """Runs a test body, then its cleanups and every leftover task, inside one loop run.

    ``startups`` run first, on the running loop: background tasks created by a fixture before
    the loop runs would be stepped by pytest-qt's ``processEvents`` between test phases.
    """

    def __init__(self, loop: qasync.QEventLoop) -> None:
        self.loop = loop
        self.startups: list[Callable[[], None]] = []
        self.cleanups: list[Cleanup] = []

    def __call__(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        async def whole() -> Any:
            try:
                for startup in self.startups:
                    startup()
                self.startups.clear()
                return await asyncio.wait_for(coro, timeout)
            finally:
                for cleanup in reversed(self.cleanups):
                    async with asyncio.timeout(20):  # a hung shutdown fails, never stalls CI
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
