"""Schema-driven fuzzing: bad input gets a validation error, never a 5xx or an off-schema body.

The three seed operations are fuzzed from the vendor's own OpenAPI fragments (so the emulator is
held to the real contract, not to its own description of itself), in positive and negative
modes, sometimes with real ids so the happy paths run too. Every operation of the emulator's
own OpenAPI then gets a cheaper pass in both modes.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from pos_app.sandbox.server import create_sandbox_app
from pos_app.sandbox.state import Sandbox
from tests.sandbox.loyaltydog_support import SEED_FILES, load_seed_fragment

pytestmark = pytest.mark.fuzz

BASE_URL = "http://sandbox.test/loyaltydog"
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FUZZ_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


class World:
    """A fresh sandbox, its ASGI app and a valid bearer token."""

    def __init__(self) -> None:
        self.sandbox = Sandbox(seed=0)
        self.app: FastAPI = create_sandbox_app(self.sandbox)
        data = self.sandbox.loyaltydog
        token = data.login(data.username, data.password)
        assert token is not None
        self.headers = {"Authorization": f"Bearer {token}"}
        summary = self.sandbox.seed_summary()["loyaltydog"]
        self.program_id: str = summary["program_id"]
        self.card_ids: list[str] = [card["id"] for card in summary["cards"]]
        self.emails: list[str] = [customer["email"] for customer in summary["customers"]]

    def send(self, case: Case[Any], **extra_headers: str) -> None:
        headers = {**self.headers, **extra_headers}
        response = case.call(base_url=BASE_URL, app=self.app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)


@pytest.fixture
def world() -> World:
    return World()


def _seed_operations() -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for name in SEED_FILES:
        for path, methods in load_seed_fragment(name)["paths"].items():
            found.extend((name, path, method) for method in methods)
    return found


SEED_OPERATIONS = _seed_operations()


def _hints(world: World, path: str) -> list[dict[str, Any]]:
    """Real ids and customers for some draws, so the fuzzer reaches past the 404s."""
    if path == "/v2/giftcards/programs/{programId}/cards/{cardId}":
        return [
            {"path_parameters": {"programId": world.program_id, "cardId": card_id}}
            for card_id in world.card_ids[:6]
        ]
    if path == "/v2/giftcards/customer/reports":
        return [
            {"query": {"programId": world.program_id}},
            {"query": {"cardId": world.card_ids[0]}},
            {"query": {"programId": world.program_id, "cardId": world.card_ids[3]}},
        ]
    return [
        {"body": {"customerEmail": email, "format": fmt}}
        for email in world.emails[:3]
        for fmt in ("json", "csv")
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(
    ("name", "path", "method"),
    SEED_OPERATIONS,
    ids=[f"{method.upper()} {path}" for _, path, method in SEED_OPERATIONS],
)
def test_seed_operation_survives_fuzzing(
    world: World, name: str, path: str, method: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_dict(load_seed_fragment(name))
    operation = schema[path][method.upper()]
    strategies = [operation.as_strategy(generation_mode=mode)]
    if mode is GenerationMode.POSITIVE:
        strategies += [
            operation.as_strategy(generation_mode=mode, **hint) for hint in _hints(world, path)
        ]
    strategy = st.one_of(strategies)

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: Case[Any]) -> None:
        world.send(case)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_emulator_operation_survives_fuzzing(world: World, mode: GenerationMode) -> None:
    """The emulator's own schema, every operation, with a fresh Idempotency-Key per call."""
    schema = schemathesis.openapi.from_asgi("/loyaltydog/openapi.json", world.app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) == 16

    for operation in operations:

        @settings(FUZZ_SETTINGS, max_examples=12)
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Case[Any]) -> None:
            world.send(case, **{"Idempotency-Key": uuid.uuid4().hex})

        run()
