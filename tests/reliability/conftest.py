"""Reliability runs come in two lengths: the short one in CI and the long one by hand.

``pytest tests/reliability`` runs the short version (marked ``reliability``); ``pytest -m long``
runs the long one. A test reads its size from the ``scale`` fixture rather than from its marks,
so the same code proves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Scale:
    """How hard a reliability test pushes: ``long`` is the auditor's run, the other CI's."""

    long: bool

    def pick(self, short: int, long: int) -> int:
        return long if self.long else short

    def seconds(self, short: float, long: float) -> float:
        return long if self.long else short


@pytest.fixture
def scale(request: pytest.FixtureRequest) -> Scale:
    return Scale(long=request.node.get_closest_marker("long") is not None)
