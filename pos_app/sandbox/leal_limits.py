"""Leal's per-token rate limiter: a fixed window per key, as Rack::Attack-style throttles count.

The live numbers are unpublished (gap G11), so the limit and window are plain attributes that
tests and trainers may lower; ``clock`` is injectable so a test can step time instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_LIMIT = 120
DEFAULT_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one request against its window, and the headers that describe it."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The four ``RateLimit-*`` headers every Leal response carries (plus ``Retry-After``)."""
        pairs = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
            (b"ratelimit-policy", f"{self.limit};w={self.window_seconds}".encode()),
        ]
        if not self.allowed:
            pairs.append((b"retry-after", str(self.reset_seconds).encode()))
        return pairs


@dataclass
class RateLimiter:
    """Counts every request (rejected ones too) per key in fixed windows of ``window_seconds``."""

    limit: int = DEFAULT_LIMIT
    window_seconds: int = DEFAULT_WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    scope: str = "token"
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def hit(self, key: str) -> RateDecision:
        """Count one request for ``key`` and say whether it may proceed."""
        limit = max(0, int(self.limit))
        window = max(1, int(self.window_seconds))
        now = self.clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now >= start + window or now < start:
                start, count = now, 0
            count += 1
            self._windows[key] = (start, count)
        reset = max(1, math.ceil(start + window - now))
        return RateDecision(
            allowed=count <= limit,
            limit=limit,
            remaining=max(0, limit - count),
            reset_seconds=reset,
            window_seconds=window,
        )

    def clear(self) -> None:
        """Forget every window, e.g. when a trainer wants a clean slate without a reset."""
        with self._lock:
            self._windows.clear()
