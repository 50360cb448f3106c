"""A real HTTP server that answers badly on purpose: huge, slow, garbled, bombed bodies.

Used by client tests so that hostile network input is exercised over real sockets.
:func:`hostile_front` puts such answers in front of the emulators: a pass-through proxy that
answers chosen requests badly (after forwarding them, if asked), so a real client and a real
journal meet a bad answer exactly where a real back-end could give one.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from pos_app.sandbox.server import free_port

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<response status="success"><x>&lol3;</x></response>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<response status="success"><x>&xxe;</x></response>"""


#: Canned bad answers by name: body, content type, status.
FIXED: dict[str, tuple[bytes, str, int]] = {
    "truncated": (b'{"id": "abc", "balance": "12.', "application/json", 200),
    "html": (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", 502),
    "html200": (b"<html><body>Login page</body></html>", "text/html", 200),
    "html500": (
        b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
        b"<body><h1>Internal Server Error</h1><pre>Traceback (most recent call last):\n"
        b"  File app.py, line 1</pre></body></html>",
        "text/html",
        500,
    ),
    "wrongtypes": (b'{"id": 5, "balance": {"a": 1}, "status": []}', "application/json", 200),
    "bomb": (BILLION_LAUGHS, "application/xml", 200),
    "xxe": (EXTERNAL_ENTITY, "application/xml", 200),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "application/json", 200),
    "empty": (b"", "application/json", 200),
    "jsonp": (b'cb({"status":"success"})', "application/javascript", 200),
    # A refusal whose words would render as a big green APPROVED in a rich-text label.
    "markup": (
        b"{\"detail\": \"<h1 style='color:green'>APPROVED</h1><img src='file:///etc/passwd'>\","
        b' "error": "<h1 style=\'color:green\'>APPROVED</h1>"}',
        "application/json",
        422,
    ),
    "markup_xml": (
        b'<?xml version="1.0"?><response status="error"><error>'
        b"&lt;h1 style='color:green'&gt;APPROVED&lt;/h1&gt;</error></response>",
        "application/xml",
        200,
    ),
}


def _huge(request: Request, size: int, media: str = "application/json") -> Response:
    """``size`` bytes of junk, streamed, so the server never holds them either."""
    chunk = b"x" * 65536

    async def body() -> AsyncIterator[bytes]:
        # Stop when the client has hung up: writes to a closed socket make asyncio log
        # warnings, which would land in whichever test runs next and fail it.
        sent = 0
        while sent < size and not await request.is_disconnected():
            yield chunk
            sent += len(chunk)

    return StreamingResponse(body(), media_type=media)


def _trickle(request: Request, media: str = "application/json") -> Response:
    """Slowloris: one byte every half second, forever (bounded to 60 s)."""

    async def body() -> AsyncIterator[bytes]:
        for _ in range(120):
            if await request.is_disconnected():
                return
            yield b" "
            await asyncio.sleep(0.5)

    return StreamingResponse(body(), media_type=media)


async def big(request: Request) -> Response:
    return _huge(request, int(request.query_params.get("mb", "50")) * 1024 * 1024)


async def slow(request: Request) -> Response:
    return _trickle(request)


async def fixed(request: Request) -> Response:
    body, media, status = FIXED[request.path_params["kind"]]
    return Response(body, status_code=status, media_type=media)


async def gzip_bomb(request: Request) -> Response:
    """8 MiB of zeros in about 8 KiB: twice the client's 4 MiB cap, yet small enough to leave
    the server in one write, so a client that hangs up early never makes it log write errors."""
    payload = gzip.compress(b"0" * (8 * 1024 * 1024), compresslevel=9)
    return Response(payload, media_type="application/json", headers={"content-encoding": "gzip"})


async def broken_gzip(request: Request) -> Response:
    return Response(
        b"\x1f\x8b\x08\x00not-gzip-at-all",
        media_type="application/json",
        headers={"content-encoding": "gzip"},
    )


app = Starlette(
    routes=[
        Route("/big", big),
        Route("/slow", slow),
        Route("/gzip-bomb", gzip_bomb),
        Route("/broken-gzip", broken_gzip),
        Route("/fixed/{kind}", fixed, methods=["GET", "POST"]),
    ]
)


@contextlib.contextmanager
def hostile_server() -> Iterator[str]:
    with serving(app) as url:
        yield url


# --- a hostile front for the emulators ---------------------------------------------------------

#: Bad answers made from the real one (so they are wrong in the back-end's own format);
#: ``late`` is the real answer itself, only late (slow but sound).
FROM_REAL = ("truncated", "wrongtypes", "wrongctype", "late")
LATE_SECONDS = 1.5
#: Bad answers that need no real one: canned bodies, 50 MB, a trickle.
CANNED = (
    "html200",
    "html500",
    "empty",
    "bomb",
    "xxe",
    "deep",
    "big",
    "slow",
    "markup",
    "markup_xml",
)
_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "content-encoding", "transfer-encoding", "keep-alive"}
)
_XML_MONEY = re.compile(rb">\s*-?[0-9]+\.[0-9]+\s*<")
_MONEY = re.compile(r"-?[0-9]+\.[0-9]+")


@dataclass
class Trap:
    """Which requests get a bad answer: method, a part of the URL and of the body (all must
    match); ``forward`` first lets the emulator act on it (a write applied, its answer bad)."""

    answer: str
    method: str
    url_part: str
    body_part: str = ""
    forward: bool = True

    def catches(self, method: str, url: str, body: bytes) -> bool:
        return method == self.method and self.url_part in url and self.body_part.encode() in body


def wrong_types(value: Any) -> Any:
    """The same document with its numbers and amounts in types the back-end never sends:
    a number becomes a word, an amount (``"12.50"``) an object; names and codes are kept."""
    if isinstance(value, dict):
        return {key: wrong_types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wrong_types(item) for item in value]
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "many"
    if isinstance(value, str) and _MONEY.fullmatch(value):
        return {"amount": value}
    return value


def _from_real(answer: str, real: httpx.Response) -> Response:
    body, media = real.content, real.headers.get("content-type", "application/octet-stream")
    if answer == "truncated":
        return Response(body[: len(body) // 2], status_code=real.status_code, media_type=media)
    if answer == "wrongctype":
        return Response(body, status_code=real.status_code, media_type="text/html")
    if answer == "late":
        return Response(body, status_code=real.status_code, media_type=media)
    if body.lstrip().startswith(b"<"):
        return Response(_XML_MONEY.sub(b">NaN<", body), real.status_code, media_type=media)
    try:
        twisted = json.dumps(wrong_types(json.loads(body))).encode()
    except ValueError:
        twisted = b'{"id": 5, "balance": {"a": 1}, "status": []}'
    return Response(twisted, status_code=real.status_code, media_type=media)


def _canned(answer: str, request: Request) -> Response:
    if answer == "big":
        return _huge(request, 50 * 1024 * 1024)
    if answer == "slow":
        return _trickle(request)
    body, media, status = FIXED[answer]
    return Response(body, status_code=status, media_type=media)


class HostileFront:
    """A pass-through proxy to ``upstream`` that springs :class:`Trap` s; thread-safe."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._lock = threading.Lock()
        self._traps: list[Trap] = []
        self.sprung: list[str] = []
        self._upstream: httpx.AsyncClient | None = None
        self.app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self._handle,
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                )
            ],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """One pooled client to the upstream for the server's life (a new one per request
        costs more than the emulators' answer)."""
        async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as client:
            self._upstream = client
            yield
        self._upstream = None

    def trap(self, trap: Trap) -> None:
        with self._lock:
            self._traps.append(trap)

    def clear(self) -> None:
        with self._lock:
            self._traps.clear()

    def _caught(self, method: str, url: str, body: bytes) -> Trap | None:
        with self._lock:
            trap = next((t for t in self._traps if t.catches(method, url, body)), None)
            if trap is not None:
                self.sprung.append(f"{trap.answer} {method} {url}")
            return trap

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        trap = self._caught(request.method, url, body)
        if trap is not None and not trap.forward and trap.answer in CANNED:
            return _canned(trap.answer, request)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        assert self._upstream is not None, "the front serves only inside hostile_front()"
        real = await self._upstream.request(request.method, url, headers=headers, content=body)
        if trap is None:
            kept = {k: v for k, v in real.headers.items() if k.lower() not in _HOP_BY_HOP}
            return Response(real.content, status_code=real.status_code, headers=kept)
        if trap.answer == "late":
            await asyncio.sleep(LATE_SECONDS)
        if trap.answer in FROM_REAL:
            return _from_real(trap.answer, real)
        return _canned(trap.answer, request)


@contextlib.contextmanager
def serving(app: Any, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Any ASGI app under uvicorn on a free loopback port, in a thread, for a ``with`` block."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="critical", lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def hostile_front(upstream: str) -> Iterator[tuple[str, HostileFront]]:
    """A :class:`HostileFront` to ``upstream`` (the emulators' origin), served on loopback."""
    front = HostileFront(upstream)
    with serving(front.app, lifespan="on") as url:
        yield url, front
