"""Is each back-end reachable right now? One small asyncio loop per back-end keeps the answer.

Real traffic is the best probe: the sync engine and the lookups call :meth:`report_ok` /
:meth:`report_failure` with what they saw, and a back-end is only probed (``backend.check()``)
when it has been idle for ``interval``. An unreachable one is retried with full-jitter
exponential back-off, so a till that lost its network does not hammer it when it returns.

No Qt here: the GUI turns ``on_change`` into a signal. All methods are meant to be called from
the thread running the event loop (qasync's, in the app).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from pos_app.domain.backends import Provider
from pos_app.providers.errors import BackendError
from pos_app.providers.protocols import Backend

__all__ = ["BackendStatus", "ConnectivityMonitor", "Reachability", "backoff_delay"]

log = logging.getLogger(__name__)


class Reachability(StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class BackendStatus:
    """What the till knows about one back-end; ``since`` is when ``state`` last changed."""

    provider: Provider
    state: Reachability
    reason: str | None
    since: datetime
    last_ok: datetime | None


def backoff_delay(attempt: int, first: float, cap: float, rng: random.Random) -> float:
    """Seconds before retry number ``attempt`` (0-based): full jitter, but never under ``first``.

    The ceiling doubles from ``first`` up to ``cap``; the wait is drawn uniformly below it
    (AWS "full jitter") so tills that lost the same network do not all come back at once.
    """
    ceiling = min(cap, first * 2.0 ** min(attempt, 32))
    return rng.uniform(first, max(first, ceiling))


def _now() -> datetime:
    return datetime.now(UTC)


class _Watch:
    """One back-end's mutable bookkeeping; times are ``time.monotonic()`` seconds."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.status = BackendStatus(backend.provider, Reachability.UNKNOWN, None, _now(), None)
        self.next_probe = time.monotonic()
        self.failures = 0
        self.requested = False
        self.wake = asyncio.Event()


class ConnectivityMonitor:
    """Keeps a :class:`BackendStatus` per back-end, from real traffic and from idle probes.

    ``on_change`` is called when a back-end's *state* changes (UNKNOWN/ONLINE/OFFLINE). A new
    reason while it stays OFFLINE only updates :meth:`status`; it does not call ``on_change``.
    """

    def __init__(
        self,
        backends: Sequence[Backend],
        *,
        interval: float = 30.0,
        first_retry: float = 2.0,
        max_retry: float = 120.0,
        probe_timeout: float = 60.0,
        on_change: Callable[[BackendStatus], None] | None = None,
    ) -> None:
        if interval <= 0 or first_retry <= 0 or probe_timeout <= 0:
            raise ValueError("interval, first_retry and probe_timeout must be positive")
        if max_retry < first_retry:
            raise ValueError("max_retry must be at least first_retry")
        self._watches: dict[Provider, _Watch] = {}
        for backend in backends:
            if backend.provider in self._watches:
                raise ValueError(f"{backend.provider.label} is listed twice")
            self._watches[backend.provider] = _Watch(backend)
        self._interval = interval
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._probe_timeout = probe_timeout
        self._on_change = on_change
        self._rng = random.Random()

    # --- what the rest of the app asks ------------------------------------------------------

    def status(self, provider: Provider) -> BackendStatus:
        """The latest status; KeyError for a back-end this monitor does not watch."""
        return self._watches[provider].status

    def statuses(self) -> list[BackendStatus]:
        return [watch.status for watch in self._watches.values()]

    def is_offline(self, provider: Provider) -> bool:
        """True only when known to be unreachable (UNKNOWN at start-up is not offline)."""
        return self.status(provider).state is Reachability.OFFLINE

    # --- what real traffic tells us ---------------------------------------------------------

    def report_ok(self, provider: Provider) -> None:
        """A real call just succeeded: ONLINE, and no probe needed for another ``interval``."""
        watch = self._watches[provider]
        self._succeeded(watch)
        watch.wake.set()

    def report_failure(self, provider: Provider, reason: str) -> None:
        """A real call could not reach the back-end: OFFLINE, and the probes take over.

        Only the first failure starts the back-off; later ones while OFFLINE update the reason.
        """
        watch = self._watches[provider]
        self._failed(watch, reason)
        watch.wake.set()

    def probe_soon(self, provider: Provider | None = None) -> None:
        """Probe now rather than at the scheduled time (all back-ends when ``provider`` is None),
        e.g. when the cashier presses Retry or the OS says the network is back."""
        watches = self._watches.values() if provider is None else [self._watches[provider]]
        for watch in watches:
            watch.requested = True
            watch.wake.set()

    # --- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Probe every back-end on its own schedule until cancelled; never returns otherwise."""
        async with asyncio.TaskGroup() as group:
            for watch in self._watches.values():
                group.create_task(self._watch(watch), name=f"connectivity-{watch.status.provider}")
            await asyncio.Event().wait()

    async def _watch(self, watch: _Watch) -> None:
        while True:
            delay = 0.0 if watch.requested else watch.next_probe - time.monotonic()
            if delay > 0:
                watch.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await watch.wake.wait()
                continue
            watch.requested = False
            await self._probe(watch)

    async def _probe(self, watch: _Watch) -> None:
        label = watch.status.provider.label
        try:
            async with asyncio.timeout(self._probe_timeout):
                await watch.backend.check()
        except BackendError as exc:
            self._failed(watch, exc.message or f"{label} cannot be used", probed=True)
        except TimeoutError:
            self._failed(watch, f"{label} did not answer its check in time", probed=True)
        except Exception as exc:
            log.warning("%s check failed unexpectedly", label, exc_info=True)
            reason = f"{label} check failed unexpectedly ({type(exc).__name__})"
            self._failed(watch, reason, probed=True)
        else:
            self._succeeded(watch)

    # --- state changes ----------------------------------------------------------------------

    def _succeeded(self, watch: _Watch) -> None:
        watch.failures = 0
        watch.next_probe = time.monotonic() + self._interval
        self._set(watch, Reachability.ONLINE, None, last_ok=_now())

    def _failed(self, watch: _Watch, reason: str, *, probed: bool = False) -> None:
        """A failed probe advances the back-off; a reported failure starts it only once."""
        if watch.status.state is Reachability.OFFLINE:
            if not probed:
                self._set(watch, Reachability.OFFLINE, reason)
                return
        else:
            watch.failures = 0
        delay = backoff_delay(watch.failures, self._first_retry, self._max_retry, self._rng)
        watch.failures += 1
        watch.next_probe = time.monotonic() + delay
        self._set(watch, Reachability.OFFLINE, reason)

    def _set(
        self,
        watch: _Watch,
        state: Reachability,
        reason: str | None,
        last_ok: datetime | None = None,
    ) -> None:
        old = watch.status
        last_ok = last_ok or old.last_ok
        if state is old.state:
            watch.status = replace(old, reason=reason, last_ok=last_ok)
            return
        watch.status = BackendStatus(old.provider, state, reason, _now(), last_ok)
        log.info("%s is now %s%s", old.provider.label, state.value, f": {reason}" if reason else "")
        if self._on_change is not None:
            try:
                self._on_change(watch.status)
            except Exception:
                log.exception("A connectivity listener failed on %s", watch.status)
