"""Shared fixtures: real emulators over loopback HTTP, and in-process for fast unit tests."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The tests (and the pos-app processes they start) must never read or write the developer's
# own Tillcard configuration, data or keyring files: the per-user folders point into a temp dir.
_USER_DIRS = tempfile.mkdtemp(prefix="tillcard-tests-")
atexit.register(shutil.rmtree, _USER_DIRS, ignore_errors=True)
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    os.environ[_name] = os.path.join(_USER_DIRS, _name.lower())
for _name in ("POS_APP_CONFIG", "POS_APP_DATA_DIR"):
    os.environ.pop(_name, None)

pytest_plugins = ["tests.logfail", "tests.qt_loop"]

from pos_app.sandbox.server import create_sandbox_app, running_sandbox  # noqa: E402
from pos_app.sandbox.state import Sandbox  # noqa: E402


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[tuple[str, Sandbox]]:
    with running_sandbox(seed=0) as served:
        yield served


@pytest.fixture
def sandbox_server(_sandbox_server: tuple[str, Sandbox]) -> Iterator[tuple[str, Sandbox]]:
    """A real uvicorn server on 127.0.0.1, reset to the seeded state for each test."""
    url, sandbox = _sandbox_server
    sandbox.reset()
    yield url, sandbox
    sandbox.reset()


@pytest.fixture
def sandbox_http(sandbox_server: tuple[str, Sandbox]) -> Iterator[httpx.Client]:
    """A plain sync httpx client pointed at the served emulators (base URL = server root)."""
    url, _ = sandbox_server
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh in-memory sandbox (no server) for tests that call apps in-process."""
    return Sandbox(seed=0)


@pytest.fixture
def asgi_client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """Sync client over Starlette's TestClient transport: fast, no sockets."""
    from fastapi.testclient import TestClient

    with TestClient(create_sandbox_app(sandbox), base_url="http://sandbox.test") as client:
        yield client


@pytest.fixture
async def async_asgi_client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    from pos_app.sandbox.inprocess import InProcessTransport

    async with httpx.AsyncClient(
        transport=InProcessTransport(sandbox), base_url="http://sandbox.test"
    ) as client:
        yield client
