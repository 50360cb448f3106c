"""A real HTTP server that answers badly on purpose: huge, slow, garbled, bombed bodies.

Used by client tests so that hostile network input is exercised over real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
import time
from collections.abc import Iterator

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


async def big(request: Request) -> Response:
    size = int(request.query_params.get("mb", "50")) * 1024 * 1024
    chunk = b"x" * 65536

    async def body() -> object:
        # Stop when the client has hung up: writes to a closed socket make asyncio log
        # warnings, which would land in whichever test runs next and fail it.
        sent = 0
        while sent < size and not await request.is_disconnected():
            yield chunk
            sent += len(chunk)

    return StreamingResponse(body(), media_type="application/json")  # type: ignore[arg-type]


async def slow(request: Request) -> Response:
    """Slowloris: one byte every half second, forever (bounded to 60 s)."""

    async def body() -> object:
        for _ in range(120):
            if await request.is_disconnected():
                return
            yield b" "
            await asyncio.sleep(0.5)

    return StreamingResponse(body(), media_type="application/json")  # type: ignore[arg-type]


async def fixed(request: Request) -> Response:
    kind = request.path_params["kind"]
    bodies: dict[str, tuple[bytes, str, int]] = {
        "truncated": (b'{"id": "abc", "balance": "12.', "application/json", 200),
        "html": (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", 502),
        "html200": (b"<html><body>Login page</body></html>", "text/html", 200),
        "wrongtypes": (b'{"id": 5, "balance": {"a": 1}, "status": []}', "application/json", 200),
        "bomb": (BILLION_LAUGHS, "application/xml", 200),
        "xxe": (EXTERNAL_ENTITY, "application/xml", 200),
        "deep": (b"[" * 100_000 + b"]" * 100_000, "application/json", 200),
        "empty": (b"", "application/json", 200),
        "jsonp": (b'cb({"status":"success"})', "application/javascript", 200),
    }
    body, media, status = bodies[kind]
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
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
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
