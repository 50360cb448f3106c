"""Fail any test that logs an unexpected warning (after qutebrowser's tests/helpers/logfail.py).

A test that expects a warning says so with ``caplog.at_level(logging.WARNING, logger=...)``,
or with the ``expected_logs`` marker when it logs on purpose at several levels.
Records are collected rather than raised inside ``emit`` because server threads log too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


class LogFailHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.unexpected: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        logger = logging.getLogger(record.name)
        if record.levelno in (logger.level, logging.getLogger().level):
            return  # caplog.at_level(...) asked for exactly this level: it is expected
        self.unexpected.append(f"{record.name} {record.levelname}: {record.getMessage()}")


@pytest.fixture(autouse=True)
def fail_on_unexpected_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    handler = LogFailHandler()
    root = logging.getLogger()
    # A known root level, below WARNING: otherwise every WARNING would look like one a test
    # asked for with caplog.at_level(WARNING), and pass unseen. (A CLI test calling main()
    # in-process also changes the root level; this puts it back for each test.)
    previous = root.level
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    if handler.unexpected and request.node.get_closest_marker("expected_logs") is None:
        pytest.fail("unexpected log messages:\n" + "\n".join(handler.unexpected[:10]))
