"""Field checks shared by the domain's value objects (private: callers never need these)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from pos_app.domain.errors import DomainError

E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], raw: object, fallback: E, case: Callable[[str], str]) -> E:
    """Tolerant enum parsing for server values: trimmed, one case, anything else the fallback."""
    if isinstance(raw, str):
        try:
            return kind(case(raw.strip()))
        except ValueError:
            return fallback
    return fallback


def require_id(value: object, what: str) -> str:
    """Ids are opaque, non-empty strings: an int id would lose leading zeros or be mistaken."""
    if not isinstance(value, str):
        raise TypeError(f"The {what} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise DomainError(f"The {what} is empty")
    return value


def require_aware(value: object, what: str) -> datetime:
    """Times carry a time zone, so tills and back-ends in different zones compare correctly."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be time-zone aware")
    return value


def require_optional_aware(value: object, what: str) -> datetime | None:
    return None if value is None else require_aware(value, what)


def require_count(value: object, what: str, *, minimum: int = 0) -> int:
    """A whole number of stamps, points or visits; bools are refused although they are ints."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number, not {type(value).__name__}")
    if value < minimum:
        raise DomainError(f"{what} must be at least {minimum}")
    return value


def clean_text(value: str | None) -> str | None:
    """Trim optional text and treat blank as missing, so display rules only check for None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"Expected text, not {type(value).__name__}")
    text = value.strip()
    return text or None
