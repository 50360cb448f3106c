"""Run ``pos-app sandbox`` in its own process for benchmarks, so server work is not ours."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx

from pos_app.sandbox.server import free_port


@contextlib.contextmanager
def served_sandbox(seed: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pos_app",
                "sandbox",
                "--port",
                str(port),
                "--seed",
                str(seed),
                "--data-dir",
                data_dir,
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    seed_summary = httpx.get(f"{url}/_sandbox/seed", timeout=2).json()
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("pos-app sandbox did not start") from None
                    time.sleep(0.1)
            yield url, seed_summary
        finally:
            proc.terminate()
            proc.wait(timeout=10)
