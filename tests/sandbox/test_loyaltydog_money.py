"""Redeem, refund, reload and void: balances, statuses, idempotency and the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from pos_app.sandbox.loyaltydog_models import GiftCardResponse, RedeemResponse
from pos_app.sandbox.state import Sandbox
from tests.sandbox.loyaltydog_support import LoyaltyDog, fresh_loyaltydog, shared_sandbox


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[httpx.Client, Sandbox]]:
    with shared_sandbox() as shared:
        yield shared


@pytest.fixture
def ld(world: tuple[httpx.Client, Sandbox]) -> LoyaltyDog:
    http, sandbox = world
    fresh_loyaltydog(sandbox)
    client = LoyaltyDog(http, sandbox)
    client.login()
    return client


def details(ld: LoyaltyDog, card_id: str) -> dict[str, Any]:
    response = ld.get(ld.cards_path(card_id), params={"include_transactions": "true"})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# -- redeem ------------------------------------------------------------------------------------


def test_partial_redeem(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    response = ld.redeem(card.id, 25.5, key="sale-1")
    assert response.status_code == 200
    body = response.json()
    RedeemResponse.model_validate(body)
    assert body["giftCardId"] == card.id
    assert body["amountRedeemed"] == "25.50"
    assert body["remainingBalance"] == "74.50"
    assert body["success"] is True
    assert body["message"] == "Gift card redeemed successfully"
    after = details(ld, card.id)
    assert after["balance"] == "74.50"
    assert after["status"] == "active"
    newest = after["transactions"][0]
    assert newest["id"] == body["transactionId"]
    assert newest["transactionType"] == "REDEMPTION"
    assert (newest["amount"], newest["balanceBefore"], newest["balanceAfter"]) == (
        "-25.50",
        "100.00",
        "74.50",
    )
    entries = ld.sandbox.ledger.entries()
    assert [(e.operation, e.card, e.amount) for e in entries] == [
        ("redeem", card.number, Decimal("25.50"))
    ]
    assert entries[0].idempotency_key == "sale-1"
    assert entries[0].reference == body["transactionId"]


def test_redeem_keeps_pos_references(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    response = ld.post(
        ld.cards_path(card.id, "/redeem"),
        key="sale-refs",
        json={
            "amount": "5.00",
            "posTransactionId": "POS_TXN_789",
            "cashierId": "cashier_001",
            "terminalId": "terminal_A",
            "description": "Purchase at Store #42",
        },
    )
    assert response.status_code == 200
    newest = details(ld, card.id)["transactions"][0]
    assert newest["posTransactionId"] == "POS_TXN_789"
    assert newest["cashierId"] == "cashier_001"
    assert newest["terminalId"] == "terminal_A"
    assert newest["description"] == "Purchase at Store #42"


def test_redeeming_the_whole_balance_depletes_the_card(ld: LoyaltyDog) -> None:
    card = ld.card("active-partly-used")
    body = ld.redeem(card.id, "24.50").json()
    assert body["remainingBalance"] == "0.00"
    assert details(ld, card.id)["status"] == "depleted"
    again = ld.redeem(card.id, "0.01")
    assert again.status_code == 400
    assert again.json() == {"detail": "Gift card is not active (status: depleted)"}


def test_the_one_cent_card(ld: LoyaltyDog) -> None:
    card = ld.card("one-cent")
    too_much = ld.redeem(card.id, "0.02")
    assert too_much.status_code == 400
    assert "Insufficient balance" in too_much.json()["detail"]
    assert ld.redeem(card.id, "0.01").json()["remainingBalance"] == "0.00"
    assert card.status.value == "depleted"


def test_redeeming_more_than_the_balance_is_refused(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    response = ld.redeem(card.id, "100.01")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Insufficient balance: available balance is 100.00",
    }
    assert card.balance == Decimal("100.00")
    assert ld.ledger() == []
    assert ld.redeem(card.id, 1e30).status_code == 400


@pytest.mark.parametrize(
    ("role", "detail"),
    [
        ("pending", "Gift card is not active (status: pending)"),
        ("suspended", "Gift card is not active (status: suspended)"),
        ("expired", "Gift card is not active (status: expired)"),
        ("voided", "Gift card is not active (status: voided)"),
        ("depleted", "Gift card is not active (status: depleted)"),
        ("past-expiry-active", "Gift card has expired"),
    ],
)
def test_unusable_cards_cannot_be_redeemed(ld: LoyaltyDog, role: str, detail: str) -> None:
    card = ld.card(role)
    before = card.balance
    response = ld.redeem(card.id, "1.00")
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert card.balance == before
    assert ld.ledger() == []


@pytest.mark.parametrize(
    ("amount", "error_type"),
    [
        (0, "greater_than_equal"),
        (-1, "greater_than_equal"),
        ("-5.00", "greater_than_equal"),
        (0.001, "decimal_max_places"),
        ("1.005", "decimal_max_places"),
        ("abc", "decimal_parsing"),
        ("", "decimal_parsing"),
        ("NaN", "finite_number"),
        ("Infinity", "finite_number"),
        ("-inf", "finite_number"),
        (True, "decimal_type"),
        (None, "decimal_type"),
        ([1], "decimal_type"),
    ],
)
def test_bad_amounts_are_validation_errors(ld: LoyaltyDog, amount: Any, error_type: str) -> None:
    card = ld.card("active")
    response = ld.redeem(card.id, amount)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", "amount"]]
    assert errors[0]["type"] == error_type
    assert card.balance == Decimal("100.00")
    assert ld.ledger() == []


def test_missing_amount_and_non_json_bodies_are_validation_errors(ld: LoyaltyDog) -> None:
    path = ld.cards_path(ld.card("active").id, "/redeem")
    missing = ld.post(path, key="k", json={})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["type"] == "missing"
    garbage = ld.post(
        path, key="k", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 422
    assert garbage.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("amount", [12.5, "12.5", "12.50", "0012.5"])
def test_amount_as_number_or_numeric_string(ld: LoyaltyDog, amount: Any) -> None:
    body = ld.redeem(ld.card("active").id, amount).json()
    assert body["amountRedeemed"] == "12.50"
    assert body["remainingBalance"] == "87.50"


def test_replay_with_the_same_key_and_body(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    first = ld.redeem(card.id, "10.00", key="retry-me")
    second = ld.redeem(card.id, "10.00", key="retry-me")
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert card.balance == Decimal("90.00")
    assert len(ld.sandbox.ledger.entries()) == 1
    assert len(card.transactions) == 2


def test_replay_is_by_meaning_not_spelling(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    first = ld.redeem(card.id, "10.50", key="k-number")
    second = ld.redeem(card.id, 10.5, key="k-number")
    assert second.json() == first.json()
    assert len(ld.ledger()) == 1


def test_replay_after_the_card_was_depleted_still_answers_200(ld: LoyaltyDog) -> None:
    card = ld.card("one-cent")
    first = ld.redeem(card.id, "0.01", key="last-cent")
    replay = ld.redeem(card.id, "0.01", key="last-cent")
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert len(ld.ledger()) == 1


def test_same_key_with_a_different_body_is_422(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    assert ld.redeem(card.id, "10.00", key="k1").status_code == 200
    response = ld.redeem(card.id, "11.00", key="k1")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert "different request payload" in detail
    assert card.balance == Decimal("90.00")
    assert len(ld.ledger()) == 1


def test_missing_or_blank_key_is_422(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    path = ld.cards_path(card.id, "/redeem")
    for headers in ({}, {"Idempotency-Key": "  "}):
        response = ld.post(path, json={"amount": "1.00"}, headers=headers)
        assert response.status_code == 422
        assert "idempotency-key" in response.json()["detail"].lower()
    too_long = ld.redeem(card.id, "1.00", key="x" * 256)
    assert too_long.status_code == 422
    assert ld.ledger() == []


def test_lower_case_header_spelling_works(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    path = ld.cards_path(card.id, "/redeem")
    first = ld.post(path, json={"amount": "2.00"}, headers={"idempotency-key": "lower"})
    second = ld.post(path, json={"amount": "2.00"}, headers={"IDEMPOTENCY-KEY": "lower"})
    assert first.status_code == 200
    assert second.json() == first.json()
    assert len(ld.ledger()) == 1


def test_key_scope_is_per_card(ld: LoyaltyDog) -> None:
    one, two = ld.card("active"), ld.card("active-gift")
    first = ld.redeem(one.id, "5.00", key="shared")
    other = ld.redeem(two.id, "7.00", key="shared")
    assert other.status_code == 200
    assert other.json()["transactionId"] != first.json()["transactionId"]
    assert [amount for _, _, amount in ld.ledger()] == [Decimal("5.00"), Decimal("7.00")]


def test_a_refused_request_does_not_burn_its_key(ld: LoyaltyDog) -> None:
    card = ld.card("active-gift")
    assert ld.redeem(card.id, "31.00", key="k-refused").status_code == 400
    assert ld.redeem(card.id, "30.00", key="k-refused").status_code == 200


def test_redeem_of_an_unknown_card_is_404(ld: LoyaltyDog) -> None:
    response = ld.redeem("0123456789abcdef01234567", "1.00")
    assert response.status_code == 404
    assert response.json() == {"detail": "Gift card not found"}


# -- refund ------------------------------------------------------------------------------------


def refund(ld: LoyaltyDog, card_id: str, tx: str, key: str | None = None, **body: Any) -> Any:
    return ld.post(ld.cards_path(card_id, f"/transactions/{tx}/refund"), key=key, json=body)


def test_full_refund_when_amount_is_omitted(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    sale = ld.redeem(card.id, "40.00").json()
    response = refund(ld, card.id, sale["transactionId"], key="r1", reason="Returned")
    assert response.status_code == 200
    body = response.json()
    assert body["refundedAmount"] == "40.00"
    assert body["remainingBalance"] == "100.00"
    assert body["giftCardId"] == card.id
    assert body["success"] is True
    newest = details(ld, card.id)["transactions"][0]
    assert newest["id"] == body["transactionId"]
    assert newest["transactionType"] == "REFUND"
    assert newest["amount"] == "40.00"
    assert newest["referenceId"] == sale["transactionId"]
    assert ld.ledger()[-1] == ("refund", card.number, Decimal("40.00"))


def test_partial_refunds_cannot_exceed_the_redemption(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    sale = ld.redeem(card.id, "30.00").json()["transactionId"]
    assert refund(ld, card.id, sale, amount="10.00").json()["remainingBalance"] == "80.00"
    over = refund(ld, card.id, sale, amount="20.01")
    assert over.status_code == 400
    assert over.json() == {"detail": "Refund amount exceeds the refundable amount of 20.00"}
    assert refund(ld, card.id, sale).json()["refundedAmount"] == "20.00"
    done = refund(ld, card.id, sale, amount=1)
    assert done.status_code == 400
    assert done.json() == {"detail": "Transaction has already been fully refunded"}
    assert card.balance == Decimal("100.00")


def test_seeded_partly_refunded_redemption(ld: LoyaltyDog) -> None:
    card = ld.card("refundable")
    sale = next(t for t in card.transactions if t.type.value == "REDEMPTION")
    assert refund(ld, card.id, sale.id, amount="20.01").status_code == 400
    assert refund(ld, card.id, sale.id).json()["refundedAmount"] == "20.00"


def test_refunding_a_depleted_card_reactivates_it(ld: LoyaltyDog) -> None:
    card = ld.card("depleted-refund-candidate")
    sale = next(t for t in card.transactions if t.type.value == "REDEMPTION")
    body = refund(ld, card.id, sale.id, amount="5.00").json()
    assert body["remainingBalance"] == "5.00"
    assert details(ld, card.id)["status"] == "active"
    assert ld.redeem(card.id, "5.00").status_code == 200


def test_only_redemptions_can_be_refunded(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    activation = card.transactions[0].id
    response = refund(ld, card.id, activation)
    assert response.status_code == 400
    assert response.json() == {"detail": "Only REDEMPTION transactions can be refunded"}


def test_refund_of_an_unknown_or_foreign_transaction_is_404(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    foreign = ld.card("active-partly-used").transactions[-1].id
    for tx in ("0123456789abcdef01234567", foreign):
        response = refund(ld, card.id, tx)
        assert response.status_code == 404
        assert response.json() == {"detail": "Transaction not found"}


def test_refund_amount_validation(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    sale = ld.redeem(card.id, "3.00").json()["transactionId"]
    for amount in (0, -1, "0.001", "x"):
        assert refund(ld, card.id, sale, amount=amount).status_code == 422


def test_refund_replay_with_a_key(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    sale = ld.redeem(card.id, "10.00").json()["transactionId"]
    first = refund(ld, card.id, sale, key="ref-k", amount="4.00")
    second = refund(ld, card.id, sale, key="ref-k", amount="4.00")
    assert second.json() == first.json()
    assert card.balance == Decimal("94.00")
    assert [op for op, _, _ in ld.ledger()] == ["redeem", "refund"]
    conflict = refund(ld, card.id, sale, key="ref-k", amount="5.00")
    assert conflict.status_code == 422


def test_refund_on_a_voided_card_is_refused(ld: LoyaltyDog) -> None:
    card = ld.card("voided")
    sale = next(t for t in card.transactions if t.type.value == "REDEMPTION")
    response = refund(ld, card.id, sale.id)
    assert response.status_code == 400
    assert response.json() == {"detail": "Gift card is not active (status: voided)"}


# -- reload ------------------------------------------------------------------------------------


def reload(ld: LoyaltyDog, card_id: str, amount: Any, key: str | None = "rl-1") -> Any:
    return ld.post(ld.cards_path(card_id, "/reload"), key=key, json={"amount": amount})


def test_reload_returns_the_card(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    response = reload(ld, card.id, "50.00")
    assert response.status_code == 200
    body = GiftCardResponse.model_validate(response.json())
    assert body.balance == "150.00"
    assert body.id == card.id
    newest = details(ld, card.id)["transactions"][0]
    assert (newest["transactionType"], newest["amount"], newest["description"]) == (
        "RELOAD",
        "50.00",
        "Gift card reload",
    )
    assert ld.ledger() == [("reload", card.number, Decimal("50.00"))]
    assert reload(ld, card.id, "50.00").json() == response.json()
    assert len(ld.ledger()) == 1


def test_reload_over_the_cap_gives_the_numeric_error_body(ld: LoyaltyDog) -> None:
    card = ld.card("near-cap")
    response = reload(ld, card.id, "10.01")
    assert response.status_code == 400
    assert response.text == (
        '{"detail":"Reload would exceed maximum card balance","currentBalance":9990.00,'
        '"reloadAmount":10.01,"maxBalance":10000.00,"availableReloadAmount":10.00}'
    )
    assert json.loads(response.text)["availableReloadAmount"] == 10
    assert reload(ld, card.id, "10.00", key="rl-2").json()["balance"] == "10000.00"


@pytest.mark.parametrize(
    ("amount", "error_type"), [("5000.01", "less_than_equal"), (0, "greater_than_equal")]
)
def test_reload_amount_bounds(ld: LoyaltyDog, amount: Any, error_type: str) -> None:
    response = reload(ld, ld.card("active").id, amount)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == error_type


def test_reload_needs_an_active_card_and_a_key(ld: LoyaltyDog) -> None:
    voided = reload(ld, ld.card("voided").id, "5.00")
    assert voided.status_code == 400
    assert voided.json() == {"detail": "Gift card is not active (status: voided)"}
    assert reload(ld, ld.card("past-expiry-active").id, "5.00").status_code == 400
    missing = reload(ld, ld.card("active").id, "5.00", key=None)
    assert missing.status_code == 422
    assert "idempotency-key" in missing.json()["detail"].lower()
    assert ld.ledger() == []


# -- void --------------------------------------------------------------------------------------


def void(ld: LoyaltyDog, card_id: str, key: str | None = None, **body: Any) -> Any:
    return ld.post(ld.cards_path(card_id, "/void"), key=key, json=body)


def test_void_zeroes_the_card(ld: LoyaltyDog) -> None:
    card = ld.card("active-partly-used")
    response = void(ld, card.id, reason="Customer request", refundReference="CASH-42")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "success": True,
        "cardId": card.id,
        "action": "void",
        "message": "Gift card voided successfully",
        "newExpiresAt": None,
        "transactionId": body["transactionId"],
    }
    after = details(ld, card.id)
    assert (after["status"], after["balance"]) == ("voided", "0.00")
    newest = after["transactions"][0]
    assert (newest["transactionType"], newest["amount"], newest["balanceAfter"]) == (
        "VOID",
        "-24.50",
        "0.00",
    )
    assert newest["referenceId"] == "CASH-42"
    assert ld.ledger() == [("void", card.number, Decimal("24.50"))]
    assert ld.redeem(card.id, "1.00").status_code == 400
    again = void(ld, card.id, reason="twice")
    assert again.status_code == 400
    assert again.json() == {"detail": "Gift card is already voided"}


def test_void_replay_with_a_key(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    first = void(ld, card.id, key="v1", reason="Lost")
    second = void(ld, card.id, key="v1", reason="Lost")
    assert second.status_code == 200
    assert second.json() == first.json()
    assert len(ld.ledger()) == 1


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 1001}])
def test_void_needs_a_reason(ld: LoyaltyDog, body: dict[str, str]) -> None:
    response = void(ld, ld.card("active").id, **body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reason"]
