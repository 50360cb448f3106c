"""Talk to the emulators without sockets, for ``pos-app --training``."""

from __future__ import annotations

import httpx

from pos_app.sandbox.faults import ConnectionDropped
from pos_app.sandbox.server import create_sandbox_app
from pos_app.sandbox.state import Sandbox

TRAINING_ORIGIN = "http://127.0.0.1"


class InProcessTransport(httpx.AsyncBaseTransport):
    """httpx's ASGI transport, with a dropped connection surfacing as it would over TCP."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._inner = httpx.ASGITransport(app=create_sandbox_app(sandbox))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
