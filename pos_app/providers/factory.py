"""Build the enabled back-end clients from the configuration (and the training transport)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from pos_app.config import AppConfig
from pos_app.credentials import Credentials
from pos_app.providers.protocols import (
    Backend,
    GiftCardProvider,
    PointsProvider,
    StampCardProvider,
)


@dataclass
class Backends:
    """The clients of the enabled back-ends; a disabled one is None."""

    gift_cards: GiftCardProvider | None = None
    stamp_cards: StampCardProvider | None = None
    points: PointsProvider | None = None

    def enabled(self) -> list[Backend]:
        return [b for b in (self.gift_cards, self.stamp_cards, self.points) if b is not None]

    async def aclose(self) -> None:
        await asyncio.gather(*(backend.aclose() for backend in self.enabled()))


def build_backends(
    config: AppConfig,
    credentials: Credentials,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Backends:
    backends = Backends()
    currency = config.terminal.currency
    if config.loyaltydog and config.loyaltydog.enabled:
        from pos_app.providers.loyaltydog import LoyaltyDogClient

        backends.gift_cards = LoyaltyDogClient(
            config.loyaltydog,
            credentials,
            currency=currency,
            transport=transport,
            terminal_id=config.terminal.id,
        )
    if config.leal and config.leal.enabled:
        from pos_app.providers.leal import LealClient

        backends.stamp_cards = LealClient(config.leal, credentials, transport=transport)
    if config.clienttoolbox and config.clienttoolbox.enabled:
        from pos_app.providers.clienttoolbox import ClientToolboxClient

        backends.points = ClientToolboxClient(
            config.clienttoolbox, credentials, currency=currency, transport=transport
        )
    return backends
