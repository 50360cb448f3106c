"""Finding and reading cards: search, list, details, history paging, balance check."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from pos_app.sandbox.loyaltydog_models import GiftCardResponse, TransactionResponse
from pos_app.sandbox.state import Sandbox
from tests.sandbox.loyaltydog_support import LoyaltyDog, fresh_loyaltydog, shared_sandbox

UNKNOWN_ID = "0123456789abcdef01234567"


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


def search(ld: LoyaltyDog, q: str, **params: object) -> list[dict[str, object]]:
    response = ld.get(f"/v2/giftcards/programs/{ld.program_id}/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list)
    return body


def test_search_by_full_number_finds_exactly_that_card(ld: LoyaltyDog) -> None:
    card = ld.card("active-partly-used")
    found = search(ld, card.number)
    assert [c["id"] for c in found] == [card.id]
    assert found[0]["cardNumber"] == card.number
    assert found[0]["balance"] == "24.50"
    assert found[0]["status"] == "active"
    assert "securityCode" not in found[0]
    GiftCardResponse.model_validate(found[0])


def test_search_ignores_spaces_and_dashes_in_a_number(ld: LoyaltyDog) -> None:
    card = ld.card("active-physical")
    spaced = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    assert [c["id"] for c in search(ld, spaced)] == [card.id]
    dashed = "-".join(card.number[i : i + 4] for i in range(0, 16, 4))
    assert [c["id"] for c in search(ld, dashed)] == [card.id]


def test_a_number_with_leading_zeros_stays_a_string(ld: LoyaltyDog) -> None:
    card = ld.card("active-physical")
    assert card.number.startswith("0000")
    assert search(ld, card.number)[0]["cardNumber"] == card.number


def test_partial_number_and_last_four(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    twin = ld.card("active-shared-last4")
    assert {c["id"] for c in search(ld, card.number[-4:])} >= {card.id, twin.id}
    assert card.id in {c["id"] for c in search(ld, card.number[3:11])}
    assert twin.id not in {c["id"] for c in search(ld, card.number[3:11])}


@pytest.mark.parametrize("q", ["alice", "ALICE MARTIN", "Martin", "alice.martin@example.com"])
def test_search_by_customer_name_or_email(ld: LoyaltyDog, q: str) -> None:
    alice = {c.id for c in ld.data.cards if c.customer and c.customer.name == "Alice Martin"}
    assert {c["id"] for c in search(ld, q)} == alice
    assert len(alice) == 4


def test_search_without_match_is_an_empty_list(ld: LoyaltyDog) -> None:
    assert search(ld, "nobody-here") == []
    assert search(ld, "9999999999999999") == []


def test_search_pages(ld: LoyaltyDog) -> None:
    everyone = search(ld, "")
    assert len(everyone) == 26
    assert search(ld, "", limit=5, page=2) == everyone[5:10]
    assert search(ld, "", limit=5, offset=7, page=4) == everyone[7:12]


def test_search_in_an_unknown_program_is_404(ld: LoyaltyDog) -> None:
    response = ld.get(f"/v2/giftcards/programs/{UNKNOWN_ID}/search", params={"q": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Program not found"}


def test_list_uses_an_envelope_and_filters(ld: LoyaltyDog) -> None:
    path = f"/v2/giftcards/programs/{ld.program_id}/cards"
    everything = ld.get(path).json()
    assert set(everything) == {"items", "total", "page", "limit"}
    assert everything["total"] == 26
    assert everything["limit"] == 250
    voided = ld.get(path, params={"status": "voided"}).json()
    assert voided["total"] == 2
    assert {c["status"] for c in voided["items"]} == {"voided"}
    positive = ld.get(path, params={"positive_balance": "true"}).json()
    assert all(float(c["balance"]) > 0 for c in positive["items"])
    assert positive["total"] == sum(1 for c in ld.data.cards if c.balance > 0)
    paged = ld.get(path, params={"limit": 10, "page": 3}).json()
    assert (paged["total"], paged["page"], paged["limit"]) == (26, 3, 10)
    assert [c["id"] for c in paged["items"]] == [c["id"] for c in everything["items"][20:]]
    by_q = ld.get(path, params={"q": "bruno", "status": "suspended"}).json()
    assert [c["id"] for c in by_q["items"]] == [ld.card("suspended").id]


def test_list_rejects_an_unknown_status(ld: LoyaltyDog) -> None:
    response = ld.get(f"/v2/giftcards/programs/{ld.program_id}/cards", params={"status": "lost"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]


def test_details_without_and_with_transactions(ld: LoyaltyDog) -> None:
    card = ld.card("active-reloaded")
    plain = ld.get(ld.cards_path(card.id)).json()
    assert "transactions" not in plain
    assert plain["balance"] == "37.25"
    assert plain["initialValue"] == "20.00"
    assert plain["lastFourDigits"] == card.number[-4:]
    assert plain["customerName"] == "Alice Martin"
    full = ld.get(ld.cards_path(card.id), params={"include_transactions": "true"}).json()
    kinds = [row["transactionType"] for row in full["transactions"]]
    assert kinds == ["REDEMPTION", "RELOAD", "ACTIVATION"]
    stamps = [row["createdAt"] for row in full["transactions"]]
    assert stamps == sorted(stamps, reverse=True)
    newest = full["transactions"][0]
    assert (newest["amount"], newest["balanceBefore"], newest["balanceAfter"]) == (
        "-12.75",
        "50.00",
        "37.25",
    )
    for row in full["transactions"]:
        TransactionResponse.model_validate(row)


def test_a_new_redemption_is_the_newest_row(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    redemption = ld.redeem(card.id, "3.00").json()
    rows = ld.get(ld.cards_path(card.id), params={"include_transactions": True}).json()[
        "transactions"
    ]
    assert rows[0]["id"] == redemption["transactionId"]
    assert rows[0]["amount"] == "-3.00"
    assert rows[0]["createdAt"] > rows[1]["createdAt"]
    assert rows[-1]["transactionType"] == "ACTIVATION"


@pytest.mark.parametrize(
    ("card_id", "status"), [(UNKNOWN_ID, 404), ("not-an-id", 422), ("0" * 23, 422)]
)
def test_details_of_an_unknown_or_malformed_id(ld: LoyaltyDog, card_id: str, status: int) -> None:
    response = ld.get(ld.cards_path(card_id))
    assert response.status_code == status
    if status == 404:
        assert response.json() == {"detail": "Gift card not found"}
    else:
        assert response.json()["detail"][0]["loc"] == ["path", "cardId"]


def test_upper_case_ids_are_accepted_like_bson_does(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    response = ld.get(ld.cards_path(card.id.upper()))
    assert response.status_code == 200
    assert response.json()["id"] == card.id


def history(ld: LoyaltyDog, card_id: str, **params: object) -> list[dict[str, str]]:
    response = ld.get(ld.cards_path(card_id, "/transactions"), params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list)
    return body


def test_paging_through_ten_thousand_transactions(ld: LoyaltyDog) -> None:
    card = ld.card("ten-thousand-transactions")
    first = history(ld, card.id, limit=100, offset=0)
    assert len(first) == 100
    assert first[0]["balanceAfter"] == "498.37"
    assert first[0]["transactionType"] == "REDEMPTION"
    second = history(ld, card.id, limit=100, offset=100)
    assert first[-1]["balanceBefore"] == second[0]["balanceAfter"]
    assert first[-1]["createdAt"] > second[0]["createdAt"]
    last = history(ld, card.id, limit=100, offset=9_950)
    assert len(last) == 50
    assert last[-1]["transactionType"] == "ACTIVATION"
    assert last[-1]["amount"] == "500.00"
    assert history(ld, card.id, limit=100, offset=10_000) == []
    assert len(history(ld, card.id)) == 250
    assert (
        history(ld, card.id, page=3, limit=250)[0]["id"]
        == history(ld, card.id, offset=500)[0]["id"]
    )
    assert len(history(ld, card.id, limit=1000)) == 250
    assert len(history(ld, card.id, limit=1)) == 1


def test_whole_history_of_the_long_card_walks_back_consistently(ld: LoyaltyDog) -> None:
    card = ld.card("ten-thousand-transactions")
    rows: list[dict[str, str]] = []
    for offset in range(0, 10_000, 250):
        rows.extend(history(ld, card.id, limit=250, offset=offset))
    assert len(rows) == 10_000
    assert len({row["id"] for row in rows}) == 10_000
    assert all(a["balanceBefore"] == b["balanceAfter"] for a, b in itertools.pairwise(rows))


@pytest.mark.parametrize(
    ("params", "loc"),
    [({"limit": 0}, "limit"), ({"page": 0}, "page"), ({"offset": -1}, "offset")],
)
def test_bad_paging_is_a_validation_error(ld: LoyaltyDog, params: dict[str, int], loc: str) -> None:
    response = ld.get(ld.cards_path(ld.card("active").id, "/transactions"), params=params)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["query", loc]
    assert error["type"] == "greater_than_equal"


def test_history_q_filters(ld: LoyaltyDog) -> None:
    card = ld.card("ten-thousand-transactions")
    reloads = history(ld, card.id, q="reload", limit=250)
    assert {row["transactionType"] for row in reloads} == {"RELOAD"}
    assert history(ld, card.id, q="POS-L00001") == history(ld, card.id, limit=1, offset=9_998)


def test_history_of_a_pending_card_is_empty(ld: LoyaltyDog) -> None:
    assert history(ld, ld.card("pending").id) == []


def balance_check(ld: LoyaltyDog, number: str, code: str) -> httpx.Response:
    return ld.http.post(
        f"/loyaltydog/v2/giftcards/programs/{ld.program_id}/balance-check",
        json={"cardNumber": number, "securityCode": code},
    )


def test_balance_check_needs_no_token(ld: LoyaltyDog) -> None:
    card = ld.card("one-cent")
    response = balance_check(ld, card.number, card.security_code)
    assert response.status_code == 200
    assert response.json() == {
        "id": card.id,
        "programId": ld.program_id,
        "cardNumber": card.number,
        "lastFourDigits": card.number[-4:],
        "balance": "0.01",
        "status": "active",
        "expiresAt": response.json()["expiresAt"],
        "isActive": True,
    }


def test_balance_check_reports_unusable_cards_as_inactive(ld: LoyaltyDog) -> None:
    for role in ("past-expiry-active", "voided", "pending"):
        card = ld.card(role)
        body = balance_check(ld, card.number, card.security_code).json()
        assert body["isActive"] is False, role


def test_balance_check_mismatch_is_404(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    wrong = "000000" if card.security_code != "000000" else "111111"
    assert balance_check(ld, card.number, wrong).status_code == 404
    assert balance_check(ld, "6000000000000000", card.security_code).status_code == 404
    assert balance_check(ld, card.number[:-1], card.security_code).status_code == 404


def test_balance_check_locks_a_card_after_five_wrong_codes(ld: LoyaltyDog) -> None:
    card = ld.card("active")
    wrong = "000000" if card.security_code != "000000" else "111111"
    for _ in range(5):
        assert balance_check(ld, card.number, wrong).status_code == 404
    locked = balance_check(ld, card.number, card.security_code)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 800
    other = ld.card("active-gift")
    assert balance_check(ld, other.number, other.security_code).status_code == 200


def test_balance_check_validates_lengths(ld: LoyaltyDog) -> None:
    response = balance_check(ld, "1" * 21, "1234567")
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "cardNumber"),
        ("body", "securityCode"),
    }
