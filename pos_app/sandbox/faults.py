"""Fault injection per emulated API: latency, errors, 429s, dropped connections, outages.

The faults sit in front of each emulator as ASGI middleware, so the emulators themselves stay
honest and a fault never corrupts their state: either a request reaches the API or it does not,
except for *apply then drop*, where the API commits and the client never hears back.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ApiName = Literal["loyaltydog", "leal", "clienttoolbox"]
API_NAMES: tuple[ApiName, ...] = ("loyaltydog", "leal", "clienttoolbox")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FaultSettings(BaseModel):
    """The body of ``POST /_sandbox/faults``; all zero means a healthy API."""

    model_config = ConfigDict(extra="forbid")

    api: Literal["loyaltydog", "leal", "clienttoolbox", "all"] = "all"
    latency_ms: int = Field(0, ge=0, le=120_000)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_status: int = Field(503, ge=400, le=599)
    drop_rate: float = Field(0.0, ge=0.0, le=1.0)
    apply_then_drop_rate: float = Field(0.0, ge=0.0, le=1.0)
    rate_limit_rate: float = Field(0.0, ge=0.0, le=1.0)
    retry_after: int = Field(1, ge=0, le=3600)
    outage: bool = False
    writes_only: bool = Field(
        False,
        description="Drops, errors and 429s hit only requests that change something (not GET)",
    )
    expire_tokens: bool = Field(
        False, description="Invalidate every issued token now (a 401 mid-session)."
    )
    rotate_api_key: bool = Field(
        False,
        description="ClientToolbox: issue a new API key now, as if regenerated in the control "
        "panel; requests with the old key are refused.",
    )


class ConnectionDropped(Exception):
    """Raised after a response has started so the server closes the socket mid-response."""


class FaultBoard:
    """Current faults per API, with a private RNG so a seeded run is repeatable."""

    def __init__(self, seed: int = 0) -> None:
        self._settings: dict[str, FaultSettings] = {}
        self.rng = random.Random(seed)

    def set(self, settings: FaultSettings) -> list[str]:
        names: list[str] = list(API_NAMES) if settings.api == "all" else [settings.api]
        for name in names:
            self._settings[name] = settings.model_copy(update={"api": name})
        return names

    def get(self, api: str) -> FaultSettings:
        return self._settings.get(api) or FaultSettings(api=api)

    def clear(self) -> None:
        self._settings.clear()

    def as_json(self) -> dict[str, Any]:
        return {name: self.get(name).model_dump() for name in API_NAMES}

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


def _error_body(api: str, status: int) -> tuple[bytes, str]:
    """An error body in the style of each API, so clients parse faults like real failures."""
    if api == "clienttoolbox":
        return b"<html><body><h1>%d Service Unavailable</h1></body></html>" % status, "text/html"
    if api == "leal":
        return json.dumps({"error": "Service unavailable"}).encode(), "application/json"
    return json.dumps({"detail": "Service temporarily unavailable"}).encode(), "application/json"


def _rate_limited(api: str, retry_after: int) -> tuple[bytes, str, list[tuple[bytes, bytes]]]:
    """A 429 as each API sends it: Leal adds its RateLimit-* headers, LoyaltyDog a detail."""
    headers = [(b"retry-after", str(retry_after).encode())]
    if api == "leal":
        headers += [
            (b"ratelimit-limit", b"120"),
            (b"ratelimit-remaining", b"0"),
            (b"ratelimit-reset", str(retry_after).encode()),
            (b"ratelimit-policy", b"120;w=60"),
        ]
        return (
            json.dumps({"error": "Rate limit exceeded. Retry later."}).encode(),
            ("application/json"),
            headers,
        )
    if api == "clienttoolbox":
        return b"<html><body><h1>429 Too Many Requests</h1></body></html>", "text/html", headers
    return json.dumps({"detail": "Rate limit exceeded"}).encode(), "application/json", headers


async def _send_simple(
    send: Send, status: int, body: bytes, content_type: str, headers: list[tuple[bytes, bytes]]
) -> None:
    all_headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    """Start a response promising a body, then abort: the client sees the connection die."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    raise ConnectionDropped("sandbox fault: connection dropped")


class FaultInjector:
    """ASGI middleware in front of one emulated API."""

    def __init__(self, app: ASGIApp, api: str, board: Callable[[], FaultBoard]) -> None:
        self.app = app
        self.api = api
        self.board = board

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        board = self.board()
        faults = board.get(self.api)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage:
            body, ctype = _error_body(self.api, 503)
            await _send_simple(send, 503, body, ctype, [])
            return
        if faults.writes_only and scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if board.roll(faults.drop_rate):
            await _drop(send)
        if board.roll(faults.rate_limit_rate):
            body, ctype, headers = _rate_limited(self.api, faults.retry_after)
            await _send_simple(send, 429, body, ctype, headers)
            return
        if board.roll(faults.error_rate):
            body, ctype = _error_body(self.api, faults.error_status)
            await _send_simple(send, faults.error_status, body, ctype, [])
            return
        if board.roll(faults.apply_then_drop_rate):
            await self._apply_then_drop(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _apply_then_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        await _drop(send)
