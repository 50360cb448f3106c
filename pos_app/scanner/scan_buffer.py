"""Tell a keyboard-wedge scan from typing by timing alone: pure logic, no Qt, no clock of its own.

A scanner types a whole code in a burst (a few milliseconds between keys) and ends it with
Enter or Tab; a person never sustains such a burst. The buffer holds the keys of a burst until
it knows which one it is: a scan (the keys are dropped and the code is reported) or typing
(the keys are handed back, in order, to be delivered as if nothing had happened).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")


class KeyKind(enum.Enum):
    """What a key press can mean to the buffer; modifier-only presses are never fed to it."""

    CHARACTER = "character"
    """Printable text without Ctrl/Alt/Meta: may be part of a code."""
    TERMINATOR = "terminator"
    """Enter, Return or Tab: ends a scan."""
    EDITING = "editing"
    """Backspace, Delete, arrows, Home/End: kept so a fast typist's corrections survive."""
    COMMAND = "command"
    """Shortcuts, function keys, Escape, control characters: never trusted at scanner speed."""


@dataclass(frozen=True, slots=True)
class Stroke(Generic[P]):
    """One key press; ``payload`` is whatever the caller needs to deliver it again later."""

    kind: KeyKind
    text: str
    payload: P


@dataclass(frozen=True, slots=True)
class Decision(Generic[P]):
    """What to do with a key press: deliver ``replay`` first, then swallow or pass the key."""

    swallow: bool
    replay: tuple[P, ...] = ()
    code: str | None = None


class ScanBuffer(Generic[P]):
    """The state of the current burst of keys; every method takes the time as an argument.

    Times come from a monotonic clock, in the unit of ``max_gap`` (seconds in the wedge). A key
    belongs to the current burst when it comes less than ``max_gap`` after the previous one.
    Inside a burst, commands are dropped (a barcode must not be able to press Ctrl+P), while
    characters and editing keys are held back.
    """

    def __init__(
        self, *, max_gap: float, min_length: int, prefix: str = "", suffix: str = ""
    ) -> None:
        if max_gap <= 0:
            raise ValueError("max_gap must be positive")
        if min_length < 1:
            raise ValueError("min_length must be at least 1")
        self._max_gap = max_gap
        self._min_length = min_length
        self._prefix = prefix
        self._suffix = suffix
        self._entries: list[Stroke[P]] = []
        # The held characters' texts, kept alongside: rebuilding the text on every key made a
        # long burst (a 7,000-digit QR code, a jammed key) quadratic, freezing the till.
        self._texts: list[str] = []
        self._length = 0
        self._last = 0.0
        self._scan_end: float | None = None

    @property
    def pending(self) -> bool:
        """True while keys are held back waiting for the burst to be decided."""
        return bool(self._entries)

    def remaining(self, now: float) -> float | None:
        """Time until the burst times out (0 when overdue), or None when nothing is held."""
        if not self._entries:
            return None
        return max(0.0, self._max_gap - (now - self._last))

    def press(self, stroke: Stroke[P], now: float) -> Decision[P]:
        """Feed one key press and say what to do with it (and with keys held back before it)."""
        in_burst = bool(self._entries) and now - self._last < self._max_gap
        replay = () if in_burst else self._take()
        if stroke.kind is KeyKind.TERMINATOR:
            return self._terminate(now, in_burst, replay)
        if stroke.kind is KeyKind.CHARACTER:
            return self._character(stroke, now, in_burst, replay)
        if not in_burst:
            return Decision(swallow=False, replay=replay)
        self._last = now
        if stroke.kind is KeyKind.EDITING:
            self._entries.append(stroke)
        return Decision(swallow=True)

    def expire(self, now: float) -> tuple[P, ...]:
        """The held keys to deliver as typing if the burst has timed out, else nothing."""
        if self.remaining(now) == 0.0:
            return self._take()
        return ()

    def flush(self) -> tuple[P, ...]:
        """Give up on the burst now (e.g. when switched off): its keys are delivered as typing."""
        return self._take()

    def _terminate(self, now: float, in_burst: bool, replay: tuple[P, ...]) -> Decision[P]:
        if in_burst:
            code = self._code()
            if code is None:
                return Decision(swallow=False, replay=self._take())
            self._clear()
            self._scan_end = now
            return Decision(swallow=True, code=code)
        if self._scan_end is not None and now - self._scan_end < self._max_gap:
            # A second terminator right after a scan (suffix then Enter, or Enter then Tab).
            self._scan_end = now
            return Decision(swallow=True, replay=replay)
        return Decision(swallow=False, replay=replay)

    def _character(
        self, stroke: Stroke[P], now: float, in_burst: bool, replay: tuple[P, ...]
    ) -> Decision[P]:
        if not in_burst and not _compatible(stroke.text, self._prefix):
            return Decision(swallow=False, replay=replay)  # cannot start a scan: no delay
        held = self._length  # characters before this one
        self._entries.append(stroke)
        self._texts.append(stroke.text)
        self._length += len(stroke.text)
        self._last = now
        # Past the prefix's length a compatible text starts with it for good: no more checks.
        if held <= len(self._prefix) and not _compatible(self._characters(), self._prefix):
            # The burst can no longer be a scan: deliver it now rather than at the timeout.
            self._entries.pop()
            self._texts.pop()
            self._length = held
            return Decision(swallow=False, replay=replay + self._take())
        if self._suffix and self._ends_with(self._suffix):
            code = self._code()
            if code is not None:
                self._clear()
                self._scan_end = now
                return Decision(swallow=True, replay=replay, code=code)
        return Decision(swallow=True, replay=replay)

    def _characters(self) -> str:
        return "".join(self._texts)

    def _ends_with(self, suffix: str) -> bool:
        """Whether the held characters end with ``suffix``, reading only as far back as needed."""
        tail = ""
        for text in reversed(self._texts):
            tail = text + tail
            if len(tail) >= len(suffix):
                break
        return tail.endswith(suffix)

    def _code(self) -> str | None:
        text = self._characters()
        if not text.startswith(self._prefix):
            return None
        code = text[len(self._prefix) :]
        if self._suffix and code.endswith(self._suffix):
            code = code[: -len(self._suffix)]
        return code if len(code) >= self._min_length else None

    def _clear(self) -> None:
        self._entries.clear()
        self._texts.clear()
        self._length = 0

    def _take(self) -> tuple[P, ...]:
        payloads = tuple(entry.payload for entry in self._entries)
        self._clear()
        return payloads


def _compatible(text: str, prefix: str) -> bool:
    """Whether ``text`` could still be, or already is, the start of a prefixed code."""
    return text.startswith(prefix) or prefix.startswith(text)
