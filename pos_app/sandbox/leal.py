"""Placeholder emulator; replaced by the real one."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

if TYPE_CHECKING:
    from pos_app.sandbox.state import Sandbox


class LealData:
    @classmethod
    def seeded(cls, seed: int, today: date) -> LealData:
        return cls()

    def seed_summary(self) -> dict[str, Any]:
        return {}

    def expire_tokens(self) -> None:
        return None


def create_app(sandbox: Sandbox) -> FastAPI:
    return FastAPI()
