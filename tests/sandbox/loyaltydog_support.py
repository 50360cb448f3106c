"""Shared helpers for the LoyaltyDog emulator tests: seed fragments and a logged-in client."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml

from pos_app.sandbox.loyaltydog import LoyaltyDogData
from pos_app.sandbox.server import create_sandbox_app
from pos_app.sandbox.state import Sandbox

SEED_DIR = Path(__file__).parent / "loyaltydog_seeds"
"""Copies of the vendor's docs pages (shared/seeds/000-002), each with an OpenAPI fragment."""
SEED_FILES = (
    "000_f8359944306db771.txt",
    "001_de9f3ce010c85abe.txt",
    "002_6983f823ca78290d.txt",
)
PREFIX = "/loyaltydog"


def load_seed_fragment(name: str) -> dict[str, Any]:
    text = (SEED_DIR / name).read_text(encoding="utf-8")
    match = re.search(r"````yaml[^\n]*\n(.*?)````", text, re.S)
    assert match, f"no OpenAPI fragment in {name}"
    fragment = yaml.safe_load(match.group(1))
    assert isinstance(fragment, dict)
    return fragment


def seed_fragments() -> list[dict[str, Any]]:
    return [load_seed_fragment(name) for name in SEED_FILES]


def resolve(node: Any, components: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline every ``#/components/schemas/...`` reference (recursion-safe)."""
    if isinstance(node, list):
        return [resolve(item, components, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return {"$recursive": name}
        target = resolve(copy.deepcopy(components[name]), components, (*seen, name))
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return {**target, **resolve(siblings, components, seen)} if siblings else target
    return {key: resolve(value, components, seen) for key, value in node.items()}


@contextmanager
def shared_sandbox() -> Iterator[tuple[httpx.Client, Sandbox]]:
    """One in-process sandbox and client for a whole module (see ``fresh_loyaltydog``).

    Building a full sandbox per test also re-seeds the other two emulators, which costs far
    more than these tests; they only need LoyaltyDog's state, the ledger and the faults fresh.
    """
    from fastapi.testclient import TestClient

    sandbox = Sandbox(seed=0)
    with TestClient(create_sandbox_app(sandbox), base_url="http://sandbox.test") as client:
        yield client, sandbox


def fresh_loyaltydog(sandbox: Sandbox) -> None:
    """What ``Sandbox.reset()`` does, for LoyaltyDog only."""
    sandbox.loyaltydog = LoyaltyDogData.seeded(sandbox.seed, sandbox.today)
    sandbox.ledger.clear()
    sandbox.faults.clear()


class LoyaltyDog:
    """A thin client for the emulator's paths, remembering the bearer token."""

    def __init__(self, http: httpx.Client, sandbox: Sandbox) -> None:
        self.http = http
        self.sandbox = sandbox
        self.token: str | None = None

    @property
    def data(self) -> Any:
        return self.sandbox.loyaltydog

    @property
    def program_id(self) -> str:
        return str(self.data.seed_summary()["program_id"])

    def card(self, role: str) -> Any:
        return self.data.card_by_role(role)

    def login(self) -> str:
        summary = self.data.seed_summary()
        response = self.http.post(
            f"{PREFIX}/v2/token",
            data={"username": summary["username"], "password": summary["password"]},
        )
        assert response.status_code == 200, response.text
        self.token = str(response.json()["accessToken"])
        return self.token

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return self.http.get(f"{PREFIX}{path}", headers=headers, **kwargs)

    def post(self, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(key), **kwargs.pop("headers", {})}
        return self.http.post(f"{PREFIX}{path}", headers=headers, **kwargs)

    def cards_path(self, card_id: str, tail: str = "") -> str:
        return f"/v2/giftcards/programs/{self.program_id}/cards/{card_id}{tail}"

    def redeem(self, card_id: str, amount: Any, key: str | None = None) -> httpx.Response:
        return self.post(
            self.cards_path(card_id, "/redeem"),
            key=key if key is not None else uuid.uuid4().hex,
            json={"amount": amount},
        )

    def ledger(self) -> list[tuple[str, str, Decimal | None]]:
        return [(e.operation, e.card, e.amount) for e in self.sandbox.ledger.entries()]
