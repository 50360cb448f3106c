"""The customer behind a card, and how the screen and receipt name them."""

from __future__ import annotations

from dataclasses import dataclass

from pos_app.domain._checks import clean_text, require_id

__all__ = ["Customer"]


@dataclass(frozen=True, kw_only=True)
class Customer:
    """A customer as a back-end knows them; blank fields are stored as None."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "customer id")
        for name in ("first_name", "last_name", "email", "phone"):
            object.__setattr__(self, name, clean_text(getattr(self, name)))

    @property
    def full_name(self) -> str | None:
        parts = [part for part in (self.first_name, self.last_name) if part]
        return " ".join(parts) or None

    @property
    def display_name(self) -> str:
        """Name, else e-mail, else phone, else the id: there is always something to show."""
        return self.full_name or self.email or self.phone or f"Customer {self.id}"
