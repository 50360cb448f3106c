"""Business and customer reports, and the GDPR export and download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from pos_app.sandbox.loyaltydog_models import BusinessReportResponse, CustomerReportResponse
from pos_app.sandbox.state import Sandbox
from tests.sandbox.loyaltydog_support import PREFIX, LoyaltyDog, fresh_loyaltydog, shared_sandbox


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


def business(ld: LoyaltyDog) -> dict[str, Any]:
    response = ld.get(f"/v2/giftcards/programs/{ld.program_id}/reports/business")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    BusinessReportResponse.model_validate(body)
    return body


def customer_report(ld: LoyaltyDog, **kwargs: Any) -> httpx.Response:
    return ld.get("/v2/giftcards/customer/reports", **kwargs)


def test_business_report_counts_and_totals(ld: LoyaltyDog) -> None:
    report = business(ld)
    assert {k: report[k] for k in report if k.endswith("Cards")} == {
        "totalCards": 26,
        "activeCards": 14,
        "pendingCards": 2,
        "depletedCards": 3,
        "expiredCards": 2,
        "voidedCards": 2,
    }
    cards = ld.data.cards
    balance = sum((c.balance for c in cards), Decimal(0))
    assert report["totalBalance"] == f"{balance:.2f}"
    voided_away = Decimal("52.00")  # "voided" lost 32.00 and "voided-unused" 20.00
    sold, redeemed = Decimal(report["totalSold"]), Decimal(report["totalRedeemed"])
    assert sold - redeemed - voided_away == balance
    rows = [row for card in cards for row in card.transactions]
    by_type = {
        kind: sum((r.amount for r in rows if r.type.value == kind), Decimal(0))
        for kind in ("ACTIVATION", "RELOAD", "REDEMPTION", "REFUND")
    }
    assert sold == by_type["ACTIVATION"] + by_type["RELOAD"]
    assert redeemed == -by_type["REDEMPTION"] - by_type["REFUND"]
    activated_this_month = [
        c
        for c in cards
        if c.activated_at is not None
        and (c.activated_at.year, c.activated_at.month) == (ld.data.now().year, ld.data.now().month)
    ]
    assert report["cardsSoldThisMonth"] == len(activated_this_month)
    assert Decimal(report["salesThisMonth"]) == sum(
        (c.initial_value for c in activated_this_month), Decimal(0)
    )


def test_business_report_follows_money_moves(ld: LoyaltyDog) -> None:
    before = business(ld)
    card = ld.card("active")
    ld.redeem(card.id, "12.34")
    ld.post(ld.cards_path(card.id, "/reload"), key="r", json={"amount": "5.00"})
    after = business(ld)
    assert Decimal(after["totalRedeemed"]) - Decimal(before["totalRedeemed"]) == Decimal("12.34")
    assert Decimal(after["totalSold"]) - Decimal(before["totalSold"]) == Decimal("5.00")
    assert Decimal(before["totalBalance"]) - Decimal(after["totalBalance"]) == Decimal("7.34")
    ld.redeem(ld.card("one-cent").id, "0.01")
    assert business(ld)["depletedCards"] == before["depletedCards"] + 1


def test_customer_report_for_a_card_covers_its_customer(ld: LoyaltyDog) -> None:
    response = customer_report(ld, params={"cardId": ld.card("active").id})
    assert response.status_code == 200
    body = response.json()
    CustomerReportResponse.model_validate(body)
    # Alice: active 100.00, active-reloaded 37.25, expired 20.00, depleted 0.00
    assert body == {
        "totalCards": 4,
        "activeCards": 2,
        "expiringSoonCards": 0,
        "totalSpent": "72.75",
        "totalBalance": "157.25",
    }


def test_customer_report_by_customer_session(ld: LoyaltyDog) -> None:
    hiro = next(c for c in ld.data.customers if c.name == "Hiro Tanaka")
    response = customer_report(ld, headers={"X-Eposn-Customer-Token": hiro.session_token})
    assert response.json() == {
        "totalCards": 2,
        "activeCards": 1,
        "expiringSoonCards": 1,
        "totalSpent": "15.00",
        "totalBalance": "40.00",
    }
    bad = customer_report(ld, headers={"X-Eposn-Customer-Token": "cst_nope"})
    assert bad.status_code == 401


def test_customer_report_for_an_anonymous_card_is_that_card(ld: LoyaltyDog) -> None:
    body = customer_report(ld, params={"cardId": ld.card("active-shared-last4").id}).json()
    assert body == {
        "totalCards": 1,
        "activeCards": 1,
        "expiringSoonCards": 0,
        "totalSpent": "14.75",
        "totalBalance": "60.25",
    }


def test_customer_report_without_filters_is_the_whole_program(ld: LoyaltyDog) -> None:
    body = customer_report(ld, params={"programId": ld.program_id}).json()
    assert body["totalCards"] == 26
    assert body["activeCards"] == 13  # 14 active, one of them past its expiry
    assert body["expiringSoonCards"] == 1
    assert customer_report(ld).json() == body


def test_customer_report_errors(ld: LoyaltyDog) -> None:
    unknown = customer_report(ld, params={"cardId": "0123456789abcdef01234567"})
    assert unknown.status_code == 404
    bad = customer_report(ld, params={"cardId": "xyz"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "cardId"]
    assert customer_report(ld, headers={"Authorization": ""}).status_code == 401


# -- GDPR --------------------------------------------------------------------------------------


def export(ld: LoyaltyDog, **body: Any) -> httpx.Response:
    return ld.post("/v2/giftcards/gdpr/export", json=body)


def download(ld: LoyaltyDog, url: str) -> httpx.Response:
    return ld.http.get(url, headers=ld.headers())


def test_export_and_download_json(ld: LoyaltyDog) -> None:
    response = export(ld, customerEmail="Alice.Martin@example.com", format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"exportId", "downloadUrl", "format", "requestedAt", "expiresAt", "status"}
    assert body["format"] == "json"
    assert body["status"] == "completed"
    assert body["expiresAt"] > body["requestedAt"]
    assert body["downloadUrl"] == (
        f"http://sandbox.test{PREFIX}/v2/giftcards/gdpr/download"
        f"?exportId={body['exportId']}&format=json"
    )
    data = download(ld, body["downloadUrl"])
    assert data.status_code == 200
    content = data.json()
    assert content["customer"]["email"] == "alice.martin@example.com"
    assert content["customer"]["name"] == "Alice Martin"
    assert len(content["giftCards"]) == 4
    active = next(c for c in content["giftCards"] if c["id"] == ld.card("active").id)
    assert active["balance"] == "100.00"
    assert [t["transactionType"] for t in active["transactions"]] == ["ACTIVATION"]


def test_export_and_download_csv(ld: LoyaltyDog) -> None:
    alice = next(c for c in ld.data.customers if c.name == "Alice Martin")
    body = export(ld, customerId=alice.id, format="csv").json()
    data = download(ld, body["downloadUrl"])
    assert data.status_code == 200
    assert data.headers["content-type"].startswith("text/csv")
    assert "attachment" in data.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(data.text)))
    expected = sum(len(c.transactions) for c in ld.data.cards_of(alice, None))
    assert len(rows) == expected == 8
    assert {row["customerEmail"] for row in rows} == {"alice.martin@example.com"}
    depleted = [row for row in rows if row["cardId"] == ld.card("depleted").id]
    assert [row["transactionType"] for row in depleted] == ["REDEMPTION", "ACTIVATION"]
    assert depleted[0]["amount"] == "-30.00"


def test_download_can_switch_format(ld: LoyaltyDog) -> None:
    body = export(ld, customerEmail="emma.johnson@example.com", format="json").json()
    url = body["downloadUrl"].replace("format=json", "format=csv")
    rows = list(csv.DictReader(io.StringIO(download(ld, url).text)))
    pending = [row for row in rows if row["cardId"] == ld.card("pending").id]
    assert len(pending) == 1
    assert pending[0]["transactionId"] == ""


def test_export_includes_later_transactions(ld: LoyaltyDog) -> None:
    body = export(ld, customerEmail="alice.martin@example.com", format="json").json()
    sale = ld.redeem(ld.card("active").id, "1.00").json()["transactionId"]
    content = download(ld, body["downloadUrl"]).json()
    ids = {t["id"] for card in content["giftCards"] for t in card["transactions"]}
    assert sale in ids


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"format": "json"}, ["body"]),
        ({"customerEmail": "not-an-email", "format": "json"}, ["body", "customerEmail"]),
        ({"customerEmail": "a@b.com", "format": "xml"}, ["body", "format"]),
        ({"customerEmail": "a@b.com"}, ["body", "format"]),
        ({"customerId": "", "customerEmail": None, "format": "csv"}, ["body"]),
    ],
)
def test_export_validation(ld: LoyaltyDog, body: dict[str, Any], loc: list[str]) -> None:
    response = export(ld, **body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_export_for_an_unknown_customer_is_404(ld: LoyaltyDog) -> None:
    response = export(ld, customerEmail="nobody@example.com", format="json")
    assert response.status_code == 404
    mismatch = export(
        ld, customerEmail="alice.martin@example.com", customerId=ld.card("pending").id, format="csv"
    )
    assert mismatch.status_code == 404


def test_download_errors(ld: LoyaltyDog) -> None:
    path = "/v2/giftcards/gdpr/download"
    unknown = ld.get(path, params={"exportId": "nope", "format": "json"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Export not found"}
    bad_format = ld.get(path, params={"exportId": "nope", "format": "pdf"})
    assert bad_format.status_code == 422
    assert bad_format.json()["detail"][0]["loc"] == ["query", "format"]
    body = export(ld, customerEmail="alice.martin@example.com", format="json").json()
    wrong_person = ld.get(
        path,
        params={"exportId": body["exportId"], "format": "json", "customerEmail": "x@y.com"},
    )
    assert wrong_person.status_code == 404
    assert ld.http.get(body["downloadUrl"]).status_code == 401
