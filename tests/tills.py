"""A real till for service and journal tests: emulators over HTTP, a journal file in tmp_path."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from pos_app.config import AppConfig, parse_config
from pos_app.domain import Money, Provider
from pos_app.providers.factory import build_backends
from pos_app.sandbox.state import Sandbox
from pos_app.services.card_actions import ActionResult, CardActions
from pos_app.services.lookup import Match, lookup
from pos_app.services.till import Till
from pos_app.training import sandbox_config, sandbox_credentials


def till_config(url: str, sandbox: Sandbox, **sections: dict[str, Any]) -> AppConfig:
    """The sandbox configuration with fast retries, plus any section overrides."""
    data = sandbox_config(sandbox.seed_summary(), url).model_dump(mode="json")
    data["sync"] = {"first_retry_seconds": 0.05, "max_retry_seconds": 0.5}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data, source="the test configuration")


def open_till(
    url: str, sandbox: Sandbox, data_dir: Path, *, training: bool = True, **sections: Any
) -> tuple[Till, CardActions]:
    config = till_config(url, sandbox, **sections)
    backends = build_backends(config, sandbox_credentials(sandbox.seed_summary()))
    till = Till.open(data_dir, config, backends, training=training)
    return till, CardActions(till)


@dataclass
class Counter:
    """A till with its actions and the emulators' address, for service tests."""

    url: str
    till: Till
    actions: CardActions


@contextlib.asynccontextmanager
async def counter_at(
    sandbox_server: tuple[str, Sandbox], data_dir: Path, **sections: Any
) -> AsyncIterator[Counter]:
    """:func:`open_till`, closed again however the test ends."""
    url, sandbox = sandbox_server
    till, actions = open_till(url, sandbox, data_dir, **sections)
    try:
        yield Counter(url, till, actions)
    finally:
        await till.close()


async def find(till: Till, code: str, provider: Provider, **want: Any) -> Match:
    """Look a card up the way the screen does (remembering it for offline use)."""
    result = await lookup(code, till.backends, memory=till.cards)
    for match in result.matches:
        if match.provider is provider and all(getattr(match, k) == v for k, v in want.items()):
            return match
    raise AssertionError(f"no {provider} match in {result.as_json()}")


def faults(url: str, api: str, **settings: Any) -> None:
    httpx.post(f"{url}/_sandbox/faults", json={"api": api, **settings}).raise_for_status()


def ledger(url: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{url}/_sandbox/ledger").json()["entries"])


def enrol_customers(url: str, sandbox: Sandbox, campaign: str, count: int) -> list[str]:
    """New ClientToolbox members, enrolled the way a store's website would (``record_customer``):
    the seed's biggest campaign has 379, and the reports must page across more."""
    data = sandbox.clienttoolbox
    codes = [f"77{n:014d}" for n in range(count)]
    with httpx.Client(base_url=url, timeout=10) as client:
        for code in codes:
            answer = client.post(
                "/clienttoolbox/",
                data={
                    "user_id": data.user_id,
                    "user_password": data.api_key,
                    "account_id": data.account_id,
                    "type": "record_customer",
                    "customer_action": "new",
                    "code": code,
                    "campaign_id": campaign,
                    "output": "JSON",
                },
            )
            answer.raise_for_status()
            assert answer.json()["status"] == "success", answer.text
    return codes


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


MAIN_CARD = "6215943836307608"  # LoyaltyDog seed 0: 100.00 USD
ANA_CODE = "ZTLKCIUD"  # Leal seed 0: Ana, 7 of 10 stamps
STORED_VALUE = "12345678"  # ClientToolbox seed 0: Jane Doe's gift card campaign
POINTS = "3141592653"  # ClientToolbox seed 0: Amy Acker, 1250 points


def ref(result: ActionResult) -> str:
    """The journal reference of an action that reached the journal."""
    assert result.reference is not None, result.message
    return result.reference
