"""Login, bearer tokens and the endpoints a till calls right after logging in."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest

from pos_app.sandbox.state import Sandbox
from tests.sandbox.loyaltydog_support import PREFIX, LoyaltyDog


@pytest.fixture
def ld(asgi_client: httpx.Client, sandbox: Sandbox) -> LoyaltyDog:
    return LoyaltyDog(asgi_client, sandbox)


def test_login_returns_camel_case_bearer_token(ld: LoyaltyDog) -> None:
    summary = ld.sandbox.seed_summary()["loyaltydog"]
    response = ld.http.post(
        f"{PREFIX}/v2/token",
        data={
            "username": summary["username"],
            "password": summary["password"],
            "grant_type": "password",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"accessToken", "tokenType", "mfaPending", "pendingToken"}
    assert body["tokenType"] == "bearer"
    assert body["mfaPending"] is False
    assert body["pendingToken"] is None
    header, payload, _ = body["accessToken"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == summary["user_id"]
    assert claims["exp"] > claims["iat"]
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["typ"] == "JWT"


@pytest.mark.parametrize(
    ("username", "password"),
    [("pos@tillcard.example", "wrong"), ("someone@else.example", "sandbox-password")],
)
def test_bad_credentials_get_401_detail(ld: LoyaltyDog, username: str, password: str) -> None:
    response = ld.http.post(f"{PREFIX}/v2/token", data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_login_form_without_password_is_a_validation_error(ld: LoyaltyDog) -> None:
    response = ld.http.post(f"{PREFIX}/v2/token", data={"username": "pos@tillcard.example"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_login_rejects_a_grant_type_other_than_password(ld: LoyaltyDog) -> None:
    summary = ld.sandbox.seed_summary()["loyaltydog"]
    response = ld.http.post(
        f"{PREFIX}/v2/token",
        data={**{k: summary[k] for k in ("username", "password")}, "grant_type": "client"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "grant_type"]


def test_gift_card_calls_without_a_token_get_401(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    for response in (
        ld.get(f"/v2/giftcards/programs/{ld.program_id}/search", params={"q": "alice"}),
        ld.get(ld.cards_path(card.id)),
        ld.redeem(card.id, "1.00"),
        ld.get("/v2/token"),
        ld.get("/v2/loyalty/programs"),
        ld.get("/v2/giftcards/customer/reports"),
    ):
        assert response.status_code == 401, response.request.url
        assert response.json() == {"detail": "Not authenticated"}
        assert response.headers["www-authenticate"] == "Bearer"
    assert ld.ledger() == []
    assert card.balance == 100


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_unknown_or_malformed_tokens_get_401(ld: LoyaltyDog, header: str) -> None:
    response = ld.http.get(
        f"{PREFIX}/v2/giftcards/programs/{ld.program_id}/cards",
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response.json()["detail"] in {"Not authenticated", "Could not validate credentials"}


def test_expire_tokens_turns_the_next_call_into_a_401(ld: LoyaltyDog) -> None:
    ld.login()
    path = f"/v2/giftcards/programs/{ld.program_id}/search"
    assert ld.get(path, params={"q": "alice"}).status_code == 200
    ld.data.expire_tokens()
    response = ld.get(path, params={"q": "alice"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    ld.login()
    assert ld.get(path, params={"q": "alice"}).status_code == 200


def test_expire_tokens_through_the_fault_endpoint(ld: LoyaltyDog) -> None:
    ld.login()
    reply = ld.http.post("/_sandbox/faults", json={"api": "loyaltydog", "expire_tokens": True})
    assert reply.status_code == 200
    assert ld.get("/v2/token").status_code == 401


def test_tokens_expire_after_the_configured_ttl(ld: LoyaltyDog) -> None:
    ld.data.token_ttl = timedelta(seconds=-1)
    ld.login()
    assert ld.get("/v2/token").status_code == 401
    ld.data.token_ttl = timedelta(hours=1)
    ld.login()
    assert ld.get("/v2/token").status_code == 200


def test_reset_forgets_tokens(ld: LoyaltyDog) -> None:
    ld.login()
    ld.sandbox.reset()
    assert ld.get("/v2/token").status_code == 401


def test_token_info_is_the_user(ld: LoyaltyDog) -> None:
    ld.login()
    response = ld.get("/v2/token")
    assert response.status_code == 200
    body = response.json()
    summary = ld.sandbox.seed_summary()["loyaltydog"]
    assert body["id"] == summary["user_id"]
    assert body["email"] == summary["username"]
    assert body["active"] is True
    assert body["admin"] is False


def test_programs_list_puts_the_gift_card_program_first(ld: LoyaltyDog) -> None:
    ld.login()
    response = ld.get("/v2/loyalty/programs")
    assert response.status_code == 200
    programs = response.json()
    assert [set(p) for p in programs] == [{"id", "name", "shareUrl"}] * 2
    assert programs[0]["id"] == ld.program_id
    assert programs[0]["name"] == "Tillcard Demo Gift Cards"
    assert programs[1]["shareUrl"].endswith(programs[1]["id"])


def test_the_loyalty_program_is_not_a_gift_card_program(ld: LoyaltyDog) -> None:
    ld.login()
    other = ld.get("/v2/loyalty/programs").json()[1]["id"]
    response = ld.get(f"/v2/giftcards/programs/{other}/search", params={"q": "alice"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Program is not a gift card program"}


def test_every_response_carries_a_request_id(ld: LoyaltyDog) -> None:
    minted = ld.get("/v2/token")
    assert len(minted.headers["x-request-id"]) == 32
    echoed = ld.get("/v2/token", headers={"X-Request-Id": "till-7.abc_1"})
    assert echoed.headers["x-request-id"] == "till-7.abc_1"
    replaced = ld.get("/v2/token", headers={"X-Request-Id": "bad id!"})
    assert replaced.headers["x-request-id"] != "bad id!"
