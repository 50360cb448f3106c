"""What every back-end client shares: timeouts, pooling, capped bodies, retries where safe.

A request is *retried* only when that cannot double anything: reads, and writes the back-end
deduplicates (LoyaltyDog's Idempotency-Key). Everything else reports what happened and lets the
journal decide.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    BadResponse,
    OutcomeUnknown,
    RateLimited,
    TooSlow,
)

log = logging.getLogger(__name__)

MAX_BODY_TILL = 4 * 1024 * 1024
MAX_BODY_REPORT = 32 * 1024 * 1024
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Timeouts:
    """Connect fast (a dead Wi-Fi shows at once), read long enough for a slow back-end."""

    connect: float = 3.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 5.0
    total: float = 25.0  # a slow-drip (slowloris) answer cannot hold the till longer

    def for_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class RetryPolicy:
    """Full-jitter exponential back-off (AWS architecture blog), capped."""

    attempts: int = 3
    base: float = 0.2
    cap: float = 4.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.cap, self.base * (2**attempt)))


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    request_id: str

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), bounded."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


#: Connections per back-end, all kept alive; see :func:`make_client`.
POOL_SIZE = 24


def make_client(
    base_url: str,
    *,
    timeouts: Timeouts = Timeouts(),
    transport: httpx.AsyncBaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """Pooled HTTP/1.1 keep-alive client; TLS verification always on.

    The pool fits the sync engine's parallel cards (``[sync] concurrency``, at most 32 are
    useful): a smaller pool queues them, and dropping idle connections means a new TCP (and
    TLS) handshake for nearly every operation while a journal drains.
    """
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeouts.for_httpx(),
        limits=httpx.Limits(
            max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE, keepalive_expiry=30
        ),
        transport=transport,
        headers=dict(headers or {}),
        verify=True,
        follow_redirects=False,
    )


Sleep = Callable[[float], Awaitable[None]]


class ApiSession:
    """Sends one logical request, with the retry rules of its kind."""

    def __init__(
        self,
        backend: str,
        client: httpx.AsyncClient,
        *,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.backend = backend
        self.client = client
        self.timeouts = timeouts
        self.retry = retry
        self._sleep = sleep

    async def send(
        self,
        method: str,
        url: str,
        *,
        mutating: bool,
        idempotent: bool | None = None,
        max_body: int = MAX_BODY_TILL,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
    ) -> RawResponse:
        """Return the raw answer of the first attempt that got one, or raise a BackendError.

        ``idempotent`` defaults to ``not mutating``; a mutating request marked idempotent
        (it carries an Idempotency-Key) may be resent after an unknown outcome.
        """
        may_repeat = (not mutating) if idempotent is None else idempotent
        attempts = self.retry.attempts if may_repeat else 1
        last: BackendError | None = None
        for attempt in range(attempts):
            if attempt:
                wait = self.retry.delay(attempt)
                if isinstance(last, RateLimited) and last.retry_after is not None:
                    wait = max(wait, last.retry_after)
                await self._sleep(wait)
            try:
                response = await self._once(
                    method,
                    url,
                    mutating=mutating,
                    max_body=max_body,
                    headers=headers,
                    params=params,
                    json=json,
                    data=data,
                )
            except BackendError as exc:
                last = exc
                if exc.retry_safe or (may_repeat and isinstance(exc, OutcomeUnknown)):
                    continue
                raise
            if response.status in (429, 503):
                # Both mean "not processed"; 503 is how an outage or maintenance looks.
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if response.status == 429 or retry_after is not None:
                    last = RateLimited(
                        self.backend,
                        f"{self.backend} is busy; try again in a moment",
                        retry_after=retry_after,
                    )
                else:
                    last = BackendUnavailable(
                        self.backend, f"{self.backend} is temporarily unavailable"
                    )
                continue
            if response.status >= 500:
                last = self._server_error(response, mutating=mutating)
                if last.retry_safe or may_repeat:
                    continue
                raise last
            return response
        assert last is not None
        raise last

    def _server_error(self, response: RawResponse, *, mutating: bool) -> BackendError:
        """A 5xx to a write may hide an applied change (a gateway timing out behind it)."""
        if mutating:
            return OutcomeUnknown(
                self.backend,
                f"{self.backend} answered with an error ({response.status}); "
                "the operation may or may not have gone through",
                detail=response.text()[:200],
            )
        return BackendUnavailable(
            self.backend, f"{self.backend} had a server error ({response.status})"
        )

    async def _once(
        self,
        method: str,
        url: str,
        *,
        mutating: bool,
        max_body: int,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
    ) -> RawResponse:
        request_id = uuid.uuid4().hex
        all_headers = {"X-Request-Id": request_id, **(headers or {})}
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeouts.total):
                request = self.client.build_request(
                    method, url, headers=all_headers, params=params, json=json, data=data
                )
                response = await self.client.send(request, stream=True)
                try:
                    if _declared_length(response.headers) > max_body:
                        raise self._too_large(mutating)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():  # decoded: caps zip bombs too
                        size += len(chunk)
                        if size > max_body:
                            raise self._too_large(mutating)
                        chunks.append(chunk)
                finally:
                    await response.aclose()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            if _certificate_refused(exc):
                raise BackendUnavailable(
                    self.backend,
                    f"{self.backend}'s security certificate could not be verified, so nothing "
                    "was sent. Check this computer's date and time; if they are right, "
                    "something is intercepting the connection: call IT.",
                    detail="certificate verify failed",
                ) from None
            raise BackendUnavailable(
                self.backend, f"{self.backend} cannot be reached", detail=type(exc).__name__
            ) from None
        except httpx.DecodingError as exc:
            cls = OutcomeUnknown if mutating else BadResponse
            raise cls(
                self.backend, f"{self.backend} sent a corrupt answer", detail=type(exc).__name__
            ) from None
        except (TimeoutError, httpx.TransportError) as exc:
            log.info(
                "%s %s %s: %s after %.0f ms (request %s)",
                self.backend,
                method,
                url,
                type(exc).__name__,
                (time.perf_counter() - started) * 1000,
                request_id,
            )
            if mutating:
                raise OutcomeUnknown(
                    self.backend,
                    f"The connection to {self.backend} was lost; the operation may or may not "
                    "have gone through",
                    detail=type(exc).__name__,
                ) from None
            if isinstance(exc, TimeoutError):  # the total deadline, not a quiet socket
                raise TooSlow(
                    self.backend,
                    f"{self.backend} is answering too slowly; try again in a moment",
                    detail="total deadline",
                ) from None
            raise BackendUnavailable(
                self.backend, f"{self.backend} did not answer in time", detail=type(exc).__name__
            ) from None
        body = b"".join(chunks)
        elapsed = (time.perf_counter() - started) * 1000
        echoed = response.headers.get("x-request-id", request_id)
        log.info(
            "%s %s %s -> %d (%.0f ms, %d bytes, request %s)",
            self.backend,
            method,
            url,
            response.status_code,
            elapsed,
            len(body),
            echoed,
        )
        return RawResponse(response.status_code, response.headers, body, echoed)

    def _too_large(self, mutating: bool) -> BackendError:
        cls = OutcomeUnknown if mutating else BadResponse
        return cls(self.backend, f"{self.backend} sent an answer too large to be trusted")


def _certificate_refused(exc: Exception) -> bool:
    """TLS refused the server's certificate (expired, self-signed, wrong name, clock wrong)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _declared_length(headers: httpx.Headers) -> int:
    """Content-Length as a number; a garbage header counts as unknown (0), the stream cap holds."""
    try:
        return max(0, int(headers.get("content-length") or 0))
    except ValueError:
        return 0
