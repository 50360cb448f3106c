"""One HTTP server for the three emulators plus the ``/_sandbox`` control endpoints."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from pos_app.sandbox import clienttoolbox, leal, loyaltydog
from pos_app.sandbox.faults import FaultInjector, FaultSettings
from pos_app.sandbox.state import Sandbox

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def create_sandbox_app(sandbox: Sandbox) -> FastAPI:
    """Mount each emulator under its prefix, behind its own fault injector."""
    root = FastAPI(
        title="Tillcard sandbox",
        version="1",
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
    )

    @root.post("/_sandbox/faults")
    def set_faults(settings: FaultSettings) -> dict[str, Any]:
        names = sandbox.faults.set(settings)
        if settings.expire_tokens:
            for name in names:
                getattr(sandbox, name).expire_tokens()
        if settings.rotate_api_key and "clienttoolbox" in names:
            sandbox.clienttoolbox.rotate_api_key()
        return {"faults": sandbox.faults.as_json()}

    @root.get("/_sandbox/faults")
    def get_faults() -> dict[str, Any]:
        return {"faults": sandbox.faults.as_json()}

    @root.get("/_sandbox/ledger")
    def get_ledger() -> dict[str, Any]:
        return {"entries": [entry.as_json() for entry in sandbox.ledger.entries()]}

    @root.post("/_sandbox/reset")
    def reset() -> dict[str, Any]:
        sandbox.reset()
        return {"reset": True, "seed": sandbox.seed}

    @root.get("/_sandbox/seed")
    def get_seed() -> dict[str, Any]:
        return sandbox.seed_summary()

    def board() -> Any:
        return sandbox.faults

    root.mount("/loyaltydog", FaultInjector(loyaltydog.create_app(sandbox), "loyaltydog", board))
    root.mount("/leal", FaultInjector(leal.create_app(sandbox), "leal", board))
    root.mount(
        "/clienttoolbox", FaultInjector(clienttoolbox.create_app(sandbox), "clienttoolbox", board)
    )
    return root


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NonLoopbackRefused(ValueError):
    """The emulators hold public test credentials; exposing them to a network needs consent."""


def make_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    seed: int = 0,
    *,
    allow_remote: bool = False,
    log_level: str = "warning",
) -> tuple[uvicorn.Server, Sandbox]:
    if not allow_remote and not is_loopback(host):
        raise NonLoopbackRefused(
            f"refusing to serve the sandbox on {host}: it is not a loopback address "
            "(pass --allow-remote if you really mean it)"
        )
    sandbox = Sandbox(seed)
    config = uvicorn.Config(
        create_sandbox_app(sandbox),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
    )
    return uvicorn.Server(config), sandbox


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_sandbox(seed: int = 0, host: str = DEFAULT_HOST) -> Iterator[tuple[str, Sandbox]]:
    """Serve the emulators on a free loopback port in a thread (tests and benchmarks)."""
    port = free_port(host)
    server, sandbox = make_server(host, port, seed, log_level="critical")
    thread = threading.Thread(target=server.run, name="sandbox-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}", sandbox
    finally:
        server.should_exit = True
        thread.join(timeout=10)
