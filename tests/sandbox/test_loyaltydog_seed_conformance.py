"""The emulator's OpenAPI must equal the vendor's: exactly for the three seed operations, and
for every other implemented operation against the public schema, with refs resolved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from pos_app.sandbox.loyaltydog import create_app
from pos_app.sandbox.state import Sandbox
from tests.sandbox.loyaltydog_support import SEED_FILES, load_seed_fragment, resolve

OPERATION_KEYS = ("operationId", "summary", "description", "tags")


@pytest.fixture(scope="module")
def emulator_schema() -> dict[str, Any]:
    app: FastAPI = create_app(Sandbox(seed=0))
    return app.openapi()


def _operations() -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for name in SEED_FILES:
        for path, methods in load_seed_fragment(name)["paths"].items():
            found.extend((name, path, method) for method in methods)
    return found


OPERATIONS = _operations()
IDS = [f"{method.upper()} {path}" for _, path, method in OPERATIONS]


def _pair(
    emulator_schema: dict[str, Any], name: str, path: str, method: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    seed = load_seed_fragment(name)
    seed_op = seed["paths"][path][method]
    ours = emulator_schema["paths"].get(path, {}).get(method)
    assert ours is not None, f"the emulator has no {method.upper()} {path}"
    return (
        seed_op,
        ours,
        seed["components"]["schemas"],
        emulator_schema["components"]["schemas"],
    )


def test_all_three_seed_operations_are_covered() -> None:
    assert IDS == [
        "GET /v2/giftcards/customer/reports",
        "POST /v2/giftcards/gdpr/export",
        "GET /v2/giftcards/programs/{programId}/cards/{cardId}",
    ]


@pytest.mark.parametrize(("name", "path", "method"), OPERATIONS, ids=IDS)
def test_operation_metadata_matches(
    emulator_schema: dict[str, Any], name: str, path: str, method: str
) -> None:
    seed_op, ours, _, _ = _pair(emulator_schema, name, path, method)
    for key in OPERATION_KEYS:
        assert ours.get(key) == seed_op.get(key), key


@pytest.mark.parametrize(("name", "path", "method"), OPERATIONS, ids=IDS)
def test_parameters_match(
    emulator_schema: dict[str, Any], name: str, path: str, method: str
) -> None:
    seed_op, ours, seed_components, our_components = _pair(emulator_schema, name, path, method)
    expected = resolve(seed_op.get("parameters", []), seed_components)
    actual = resolve(ours.get("parameters", []), our_components)
    assert [(p["name"], p["in"]) for p in actual] == [(p["name"], p["in"]) for p in expected]
    assert actual == expected


@pytest.mark.parametrize(("name", "path", "method"), OPERATIONS, ids=IDS)
def test_request_body_matches(
    emulator_schema: dict[str, Any], name: str, path: str, method: str
) -> None:
    seed_op, ours, seed_components, our_components = _pair(emulator_schema, name, path, method)
    assert resolve(ours.get("requestBody"), our_components) == resolve(
        seed_op.get("requestBody"), seed_components
    )


@pytest.mark.parametrize("status", ["200", "422"])
@pytest.mark.parametrize(("name", "path", "method"), OPERATIONS, ids=IDS)
def test_response_schema_matches(
    emulator_schema: dict[str, Any], name: str, path: str, method: str, status: str
) -> None:
    seed_op, ours, seed_components, our_components = _pair(emulator_schema, name, path, method)
    assert set(ours["responses"]) == set(seed_op["responses"])
    assert resolve(ours["responses"][status], our_components) == resolve(
        seed_op["responses"][status], seed_components
    )


@pytest.mark.parametrize("name", SEED_FILES)
def test_named_components_match_where_both_define_them(
    emulator_schema: dict[str, Any], name: str
) -> None:
    """Same component names with the same bodies, not merely equal after inlining."""
    seed_components = load_seed_fragment(name)["components"]["schemas"]
    ours = emulator_schema["components"]["schemas"]
    for component, body in seed_components.items():
        assert ours.get(component) == body, component


@pytest.mark.parametrize("name", SEED_FILES)
def test_bearer_security_matches(emulator_schema: dict[str, Any], name: str) -> None:
    seed = load_seed_fragment(name)
    assert emulator_schema["security"] == seed["security"]
    assert emulator_schema["components"]["securitySchemes"] == seed["components"]["securitySchemes"]


def test_balance_check_opts_out_of_bearer_auth(emulator_schema: dict[str, Any]) -> None:
    """The one public-schema operation with ``security: []`` keeps that override."""
    operation = emulator_schema["paths"]["/v2/giftcards/programs/{programId}/balance-check"]
    assert operation["post"]["security"] == []


PUBLIC_SCHEMA = Path(__file__).resolve().parents[3] / "shared/api/loyaltydog-openapi.public.json"
"""The vendor's whole public OpenAPI; it lives in shared/, beside the repository, not in it."""


@pytest.fixture(scope="module")
def public_schema() -> dict[str, Any]:
    if not PUBLIC_SCHEMA.is_file():
        pytest.skip(f"{PUBLIC_SCHEMA} is not available")
    schema: dict[str, Any] = json.loads(PUBLIC_SCHEMA.read_text(encoding="utf-8"))
    return schema


def test_every_implemented_operation_matches_the_public_schema(
    emulator_schema: dict[str, Any], public_schema: dict[str, Any]
) -> None:
    ours_components = emulator_schema["components"]["schemas"]
    theirs_components = public_schema["components"]["schemas"]
    compared = 0
    for path, methods in emulator_schema["paths"].items():
        for method, ours in methods.items():
            if (path, method) == ("/v2/token", "post"):
                continue  # login is not in the public schema; loyaltydog.md describes it
            theirs = public_schema["paths"][path][method]
            where = f"{method.upper()} {path}"
            for key in (*OPERATION_KEYS, "security"):
                assert ours.get(key) == theirs.get(key), f"{where}: {key}"
            for key in ("parameters", "requestBody", "responses"):
                assert resolve(ours.get(key), ours_components) == resolve(
                    theirs.get(key), theirs_components
                ), f"{where}: {key}"
            compared += 1
    assert compared == 15
