"""The emulator behind the real uvicorn server: resets, faults and URLs over loopback TCP."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from pos_app.sandbox.state import Sandbox
from tests.sandbox.loyaltydog_support import LoyaltyDog


@pytest.fixture
def ld(sandbox_http: httpx.Client, sandbox_server: tuple[str, Sandbox]) -> LoyaltyDog:
    client = LoyaltyDog(sandbox_http, sandbox_server[1])
    client.login()
    return client


def ledger(ld: LoyaltyDog) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = ld.http.get("/_sandbox/ledger").json()["entries"]
    return [e for e in entries if e["api"] == "loyaltydog"]


def test_seed_endpoint_lists_the_loyaltydog_cards(ld: LoyaltyDog) -> None:
    seed = ld.http.get("/_sandbox/seed").json()["loyaltydog"]
    assert seed["program_id"] == ld.program_id
    assert len(seed["cards"]) == 26
    one_cent = next(c for c in seed["cards"] if c["balance"] == "0.01")
    assert one_cent["status"] == "active"


def test_search_and_redeem_over_http(ld: LoyaltyDog) -> None:
    card = ld.card("active-gift")
    found = ld.get(f"/v2/giftcards/programs/{ld.program_id}/search", params={"q": card.number})
    assert [c["id"] for c in found.json()] == [card.id]
    sale = ld.redeem(card.id, "7.25", key="http-sale")
    assert sale.status_code == 200
    assert sale.json()["remainingBalance"] == "22.75"
    assert [(e["operation"], e["card"], e["amount"]) for e in ledger(ld)] == [
        ("redeem", card.number, "7.25")
    ]


def test_reset_restores_the_seeded_state(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    assert ld.redeem(card.id, "100.00").json()["remainingBalance"] == "0.00"
    assert ld.get(ld.cards_path(card.id)).json()["status"] == "depleted"
    assert ld.http.post("/_sandbox/reset").json() == {"reset": True, "seed": 0}
    assert ledger(ld) == []
    assert ld.get(ld.cards_path(card.id)).status_code == 401  # tokens went with the old state
    ld.login()
    restored = ld.get(ld.cards_path(card.id)).json()
    assert (restored["status"], restored["balance"]) == ("active", "100.00")
    assert ld.redeem(card.id, "1.00", key="after-reset").status_code == 200


def test_gdpr_download_url_points_at_the_served_emulator(ld: LoyaltyDog) -> None:
    body = ld.post(
        "/v2/giftcards/gdpr/export",
        json={"customerEmail": "dev.patel@example.com", "format": "csv"},
    ).json()
    assert body["downloadUrl"].startswith(
        f"{str(ld.http.base_url).rstrip('/')}/loyaltydog/v2/giftcards/gdpr/"
    )
    response = httpx.get(body["downloadUrl"], headers=ld.headers(), timeout=10)
    assert response.status_code == 200
    assert response.text.count("\r\n") == 10_001  # header + the long card's 10,000 rows


def test_apply_then_drop_debits_although_the_client_sees_a_transport_error(
    ld: LoyaltyDog,
) -> None:
    card = ld.card("active")
    faults = ld.http.post(
        "/_sandbox/faults", json={"api": "loyaltydog", "apply_then_drop_rate": 1.0}
    )
    assert faults.status_code == 200
    with pytest.raises(httpx.TransportError):
        ld.redeem(card.id, "30.00", key="lost-reply")
    entries = ledger(ld)
    assert [(e["operation"], e["amount"], e["idempotency_key"]) for e in entries] == [
        ("redeem", "30.00", "lost-reply")
    ]
    assert card.balance == Decimal("70.00")

    ld.http.post("/_sandbox/faults", json={"api": "loyaltydog"})
    retry = ld.redeem(card.id, "30.00", key="lost-reply")
    assert retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["remainingBalance"] == "70.00"
    assert retry.json()["transactionId"] == entries[0]["reference"]
    assert len(ledger(ld)) == 1
