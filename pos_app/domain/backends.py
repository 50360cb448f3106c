"""The three loyalty back-ends, by the names used in the journal, the ledger and ``--json``."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Provider"]


class Provider(StrEnum):
    LOYALTYDOG = "loyaltydog"
    LEAL = "leal"
    CLIENTTOOLBOX = "clienttoolbox"

    @property
    def label(self) -> str:
        """The name shown to the cashier."""
        return {
            Provider.LOYALTYDOG: "LoyaltyDog",
            Provider.LEAL: "Leal",
            Provider.CLIENTTOOLBOX: "ClientToolbox",
        }[self]
