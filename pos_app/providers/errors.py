"""One error family for every back-end; the services and the journal decide retries by class.

The split that matters most is *was the request applied?*:
- ``BackendUnavailable`` / ``RateLimited``: the back-end did not act; sending again is safe.
- ``OutcomeUnknown``: it may have acted (timeout after send, dropped connection, garbled answer
  to a write); only reconciliation may decide.
- ``Rejected`` / ``NotFound`` / ``InvalidRequest`` / ``Unauthorized``: it answered and said no.
"""

from __future__ import annotations


class BackendError(Exception):
    """Base class; ``message`` is fit for a cashier, ``backend`` names the API."""

    retry_safe: bool = False

    def __init__(self, backend: str, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.backend = backend
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class NotFound(BackendError):
    """The card, customer or transaction does not exist on this back-end."""


class Unauthorized(BackendError):
    """Credentials missing, wrong or expired even after logging in again."""


class Rejected(BackendError):
    """A business rule said no (insufficient balance, inactive card, too few stamps, ...)."""


class InvalidRequest(BackendError):
    """The back-end refused the request's shape (a validation error); a bug or bad input."""


class BackendUnavailable(BackendError):
    """Unreachable, outage, or a server error that guarantees nothing was applied."""

    retry_safe = True


class TooSlow(BackendUnavailable):
    """A read still dripping at the total deadline: asking again would hold the till as long
    again, so the request is not repeated (the next lookup or sync pass tries afresh)."""

    retry_safe = False


class RateLimited(BackendUnavailable):
    """Too many requests; ``retry_after`` seconds is the back-end's own wish."""

    def __init__(
        self, backend: str, message: str, *, retry_after: float | None, detail: str | None = None
    ) -> None:
        super().__init__(backend, message, detail=detail)
        self.retry_after = retry_after


class BadResponse(BackendError):
    """The answer to a read could not be understood (malformed, too large, wrong types)."""

    retry_safe = True


class OutcomeUnknown(BackendError):
    """A write may or may not have been applied; never resend blindly."""
