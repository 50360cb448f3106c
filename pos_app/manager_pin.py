"""Manager PINs: salted scrypt hashes, and a lockout that makes guessing a PIN at the till slow.

A 4-digit PIN has only 10,000 values, so the hash alone cannot protect it from someone holding
the stored hashes; what protects it at the counter is :class:`PinLockout`. Pure Python, no I/O:
the caller stores the hashes and, being a GUI, may run :meth:`PinLockout.attempt` in a thread
(each scrypt takes tens of milliseconds).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_PIN_LENGTH",
    "MIN_PIN_LENGTH",
    "PinCheck",
    "PinLockout",
    "check_pin_format",
    "hash_pin",
    "verify_pin",
]

MIN_PIN_LENGTH: Final = 4
MAX_PIN_LENGTH: Final = 12

_SCHEME: Final = "scrypt"
_N: Final = 2**14
_R: Final = 8
_P: Final = 1
_SALT_BYTES: Final = 16
_HASH_BYTES: Final = 32
#: Stored parameters are data; bounds keep a corrupt or hostile entry from eating the machine.
_MAX_N: Final = 2**17
_MAX_R: Final = 32
_MAX_P: Final = 16
_MAXMEM: Final = 256 * 1024 * 1024
_PIN_RE: Final = re.compile(rf"[0-9]{{{MIN_PIN_LENGTH},{MAX_PIN_LENGTH}}}")


def check_pin_format(pin: str) -> str | None:
    """None for an acceptable PIN, else why not, in words a cashier can act on.

    ASCII digits only: a PIN typed on an Arabic-Indic keypad would not match the same PIN typed
    on the till's keypad, so other scripts' digits are refused rather than guessed at.
    """
    if not pin:
        return "Enter the manager PIN"
    if not _PIN_RE.fullmatch(pin):
        if not (pin.isascii() and pin.isdigit()):
            return "A PIN is made of the digits 0-9 only"
        return f"A PIN has {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} digits"
    return None


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=length
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_pin(pin: str) -> str:
    """``scrypt$n$r$p$<salt>$<hash>`` with a fresh random salt, so equal PINs store differently.

    Raises ValueError for a PIN :func:`check_pin_format` refuses: a weak PIN is never stored.
    """
    problem = check_pin_format(pin)
    if problem is not None:
        raise ValueError(problem)
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(pin, salt, _N, _R, _P, _HASH_BYTES)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    """The stored fields, or None if anything about them is off (never an exception)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return None
    _, n_text, r_text, p_text, salt_text, hash_text = parts
    if not all(t.isascii() and t.isdigit() for t in (n_text, r_text, p_text)):
        return None
    n, r, p = int(n_text), int(r_text), int(p_text)
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        return None
    try:
        salt = base64.b64decode(salt_text, validate=True)
        expected = base64.b64decode(hash_text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(salt) < _SALT_BYTES or len(expected) != _HASH_BYTES:
        return None  # scrypt output is a prefix-stable stream: a cut hash would still "match"
    return n, r, p, salt, expected


def verify_pin(pin: str, stored: str) -> bool:
    """Does ``pin`` match ``stored``? Constant-time; a malformed ``stored`` is simply False."""
    if not isinstance(pin, str) or not isinstance(stored, str):
        return False
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    try:
        actual = _scrypt(pin, salt, n, r, p, _HASH_BYTES)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True, slots=True)
class PinCheck:
    """One attempt's answer; ``matched_index`` says whose PIN it was (for the audit trail)."""

    ok: bool
    message: str
    matched_index: int | None = None


def wait_text(seconds: float) -> str:
    """Rounded up, so the till never says "0 s" while still locked."""
    total = max(1, math.ceil(seconds))
    minutes, rest = divmod(total, 60)
    if not minutes:
        return f"{rest} s"
    if not rest:
        return f"{minutes} min"
    return f"{minutes} min {rest} s"


class PinLockout:
    """Slows brute force: after ``max_failures`` wrong PINs in a row, refuse all for a while.

    One instance per till, kept for the app's life. A success resets the count; so does the end
    of a lock. A malformed entry (empty, letters) is refused without counting: it cannot match.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        lock_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if lock_seconds < 0:
            raise ValueError("lock_seconds must not be negative")
        self._max_failures = max_failures
        self._lock_seconds = lock_seconds
        self._clock = clock
        self._failures = 0
        self._locked_until: float | None = None

    def locked_for(self) -> float:
        """Seconds until PINs are accepted again; 0.0 when not locked."""
        if self._locked_until is None:
            return 0.0
        left = self._locked_until - self._clock()
        if left <= 0:
            self._locked_until = None
            self._failures = 0
            return 0.0
        return left

    def attempt(self, pin: str, stored_hashes: Iterable[str]) -> PinCheck:
        """Check ``pin`` against every manager's hash; while locked, nothing is even hashed."""
        left = self.locked_for()
        if left > 0:
            return PinCheck(False, f"Too many wrong PINs; try again in {wait_text(left)}")
        problem = check_pin_format(pin)
        if problem is not None:
            return PinCheck(False, problem)
        hashes = list(stored_hashes)
        if not hashes:
            return PinCheck(False, "No manager PIN is set up on this till")
        for index, stored in enumerate(hashes):
            if verify_pin(pin, stored):
                self._failures = 0
                return PinCheck(True, "PIN accepted", index)
        self._failures += 1
        remaining = self._max_failures - self._failures
        if remaining <= 0:
            self._failures = 0
            self._locked_until = self._clock() + self._lock_seconds
            return PinCheck(
                False, f"Too many wrong PINs; try again in {wait_text(self._lock_seconds)}"
            )
        tries = "1 try" if remaining == 1 else f"{remaining} tries"
        return PinCheck(False, f"Wrong PIN, {tries} left")
