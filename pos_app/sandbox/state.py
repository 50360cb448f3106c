"""The whole emulated world: three APIs' data, the ledger and the faults, resettable as one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pos_app.sandbox.faults import FaultBoard
from pos_app.sandbox.ledger import Ledger


class Sandbox:
    """Seeded state shared by the emulators; apps read ``sandbox.<api>`` on every request.

    Dates in the seed are relative to ``today`` (UTC), so the same seed gives the same cards
    on the same day and an "active" card never silently expires as the calendar moves on.
    """

    def __init__(self, seed: int = 0, today: date | None = None) -> None:
        from pos_app.sandbox.clienttoolbox import ClientToolboxData
        from pos_app.sandbox.leal import LealData
        from pos_app.sandbox.loyaltydog import LoyaltyDogData

        self.seed = seed
        self.today = today or datetime.now(UTC).date()
        self.ledger = Ledger()
        self.faults = FaultBoard(seed)
        self._factories = (LoyaltyDogData, LealData, ClientToolboxData)
        self.reset()

    def reset(self) -> None:
        loyaltydog, leal, clienttoolbox = self._factories
        self.loyaltydog = loyaltydog.seeded(self.seed, self.today)
        self.leal = leal.seeded(self.seed, self.today)
        self.clienttoolbox = clienttoolbox.seeded(self.seed, self.today)
        self.ledger.clear()
        self.faults.clear()

    def seed_summary(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "loyaltydog": self.loyaltydog.seed_summary(),
            "leal": self.leal.seed_summary(),
            "clienttoolbox": self.clienttoolbox.seed_summary(),
        }
