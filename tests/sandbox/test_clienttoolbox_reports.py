"""ClientToolbox emulator reports: customers_balances paging and coalitions, audit totals."""

from __future__ import annotations

import httpx
import pytest

from pos_app.sandbox.clienttoolbox_seed import (
    EVENTS_COFFEE,
    FIXTURES,
    GIFT_MAIN,
    GIFT_MALL,
    GIFT_USD,
    POINTS_MAIN,
    POINTS_PARTNER,
    POINTS_STAFF,
)
from pos_app.sandbox.state import Sandbox
from tests.sandbox.clienttoolbox_support import Api, text_of

REPORT_FIELDS = [
    "card_number", "code", "first_name", "last_name", "email", "phone", "address1", "address2",
    "city", "state", "zip", "country", "custom1", "custom_date", "customer_username",
    "record_timestamp", "earned", "redeemed", "balance", "balance_equivalent",
    "earned_equivalent", "redeemed_equivalent",
]  # fmt: skip
COLIN = FIXTURES["coalition"]


@pytest.fixture
def api(asgi_client: httpx.Client, sandbox: Sandbox) -> Api:
    return Api(asgi_client, sandbox)


def _rows(api: Api, **fields: str) -> list[dict[str, str]]:
    root = api.ok("reports", report="customers_balances", **fields)
    return [{child.tag: child.text or "" for child in c} for c in root.findall("customer")]


def _row(api: Api, code: str, **fields: str) -> dict[str, str]:
    return next(r for r in _rows(api, **fields) if r["code"] == code)


def test_paging_walks_every_customer_of_a_campaign_until_a_short_page(api: Api) -> None:
    summary = api.data.seed_summary()
    expected = [r["code"] for r in summary["customers"] if r["campaign_id"] == POINTS_MAIN]
    assert len({r["code"] for r in summary["customers"]}) >= 500
    assert len(expected) > 300
    seen: list[str] = []
    pages = 0
    while True:
        page = _rows(api, campaign_id=POINTS_MAIN, offset=str(len(seen)), limit="100")
        pages += 1
        seen += [r["code"] for r in page]
        if len(page) < 100:
            break
    assert pages == len(expected) // 100 + 1
    assert seen == expected
    assert len(set(seen)) == len(seen)
    assert [r["code"] for r in _rows(api, campaign_id=POINTS_MAIN)] == expected


def test_report_rows_have_the_documented_fields_and_values(api: Api) -> None:
    amy = _row(api, FIXTURES["points"].code, campaign_id=POINTS_MAIN, limit="10")
    assert list(amy) == REPORT_FIELDS
    assert (amy["earned"], amy["redeemed"], amy["balance"]) == ("1350", "-100", "1250")
    assert (amy["earned_equivalent"], amy["redeemed_equivalent"], amy["balance_equivalent"]) == (
        "13.5",
        "-1",
        "12.5",
    )
    assert (amy["address1"], amy["zip"], amy["custom_date"]) == (
        "1 Market Square",
        "62701",
        "1980-07-14",
    )
    smith = _row(api, FIXTURES["ampersand"].code, campaign_id=GIFT_MAIN, limit="5")
    assert (smith["first_name"], smith["custom1"]) == (
        "Smith & Sons",
        "Invoice monthly & keep receipts",
    )
    assert (smith["earned"], smith["redeemed"], smith["balance"]) == ("100.00", "-37.55", "62.45")
    assert smith["balance_equivalent"] == "62.45"


def test_report_json_and_offset_beyond_the_end(api: Api) -> None:
    doc = api.json(
        "reports", report="customers_balances", campaign_id=EVENTS_COFFEE, offset="0", limit="3"
    )
    assert len(doc["customers"]) == 3
    assert doc["customers"][0]["code"] == FIXTURES["accented"].code
    assert doc["customers"][0]["balance"] == "5"
    assert _rows(api, campaign_id=EVENTS_COFFEE, offset="100000") == []


def test_report_reflects_new_activity(api: Api) -> None:
    jane = FIXTURES["giftcard"]
    api.ok("redeem", campaign_id=GIFT_MAIN, code=jane.code, reward_to_redeem="2.50")
    row = _row(api, jane.code, campaign_id=GIFT_MAIN, limit="5")
    assert (row["earned"], row["redeemed"], row["balance"]) == ("50.00", "-15.00", "35.00")


def test_coalition_points_pools_non_opt_out_campaigns(api: Api) -> None:
    plain = _row(api, COLIN.code, campaign_id=POINTS_MAIN)
    assert plain["balance"] == "300"
    pooled = _row(api, COLIN.code, campaign_id=POINTS_MAIN, coalition_balance="coalition_points")
    assert pooled["balance"] == "2300"
    assert pooled["earned"] == "2300"
    assert pooled["balance_equivalent"] == "5"
    from_partner = _row(
        api, COLIN.code, campaign_id=POINTS_PARTNER, coalition_balance="coalition_points"
    )
    assert from_partner["balance"] == "2300"


def test_coalition_storedvalue_excludes_the_opt_out_card(api: Api) -> None:
    assert _row(api, COLIN.code, campaign_id=GIFT_USD)["balance"] == "99.00"
    pooled = _row(api, COLIN.code, campaign_id=GIFT_MALL, coalition_balance="coalition_storedvalue")
    assert pooled["balance"] == "50.00"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"campaign_id": POINTS_STAFF, "coalition_balance": "coalition_points"},
            f"Campaign {POINTS_STAFF} has opted out of the coalition",
        ),
        (
            {"campaign_id": GIFT_MAIN, "coalition_balance": "coalition_points"},
            "coalition_balance=coalition_points needs a points campaign",
        ),
        (
            {"campaign_id": GIFT_MAIN, "coalition_balance": "coalition_stored_value"},
            "Invalid coalition_balance: coalition_stored_value "
            "(use coalition_points or coalition_storedvalue)",
        ),
        ({"campaign_id": "999"}, "Invalid campaign_id: 999"),
        ({"campaign_id": GIFT_MAIN, "offset": "-1"}, "Invalid offset: must be a whole number >= 0"),
        ({"campaign_id": GIFT_MAIN, "limit": "0"}, "Invalid limit: must be a whole number > 0"),
    ],
)
def test_report_errors(api: Api, fields: dict[str, str], message: str) -> None:
    assert api.err("reports", report="customers_balances", **fields) == message


def test_unknown_report_is_an_error(api: Api) -> None:
    assert api.err("reports", report="customers_everything") == (
        "Unknown report: customers_everything"
    )


def test_audit_totals_use_thousands_separators(api: Api) -> None:
    amy, jane = FIXTURES["points"], FIXTURES["giftcard"]
    api.ok("record_activity", campaign_id=POINTS_MAIN, code=amy.code, amount="4437")
    api.ok("redeem", campaign_id=POINTS_MAIN, code=amy.code, custom_points_redeem="3010")
    api.ok("record_activity", campaign_id=GIFT_MAIN, code=jane.code, amount="1234.5")
    today = api.data.now().date().isoformat()
    root = api.ok(
        "reports",
        report="audit_totals",
        date_start=today,
        selected_campaigns=f"{POINTS_MAIN},{GIFT_MAIN}",
    )
    rows = {text_of(c, "campaign_id"): c for c in root.findall("campaign")}
    points, gift = rows[POINTS_MAIN], rows[GIFT_MAIN]
    assert (text_of(points, "earned"), text_of(points, "redeemed")) == ("4,437", "-3,010")
    assert text_of(points, "liability") == "1,427"
    assert text_of(points, "monetary_equivalent") == "14.27"
    assert text_of(points, "campaign_name") == "Tillcard Points"
    assert (text_of(gift, "earned"), text_of(gift, "liability")) == ("1,234.50", "1,234.50")
    assert text_of(gift, "monetary_equivalent") == "1234.50"


def test_totals_validation_and_coalition_filter(api: Api) -> None:
    spaced = f"{POINTS_MAIN}, {GIFT_MAIN}"
    message = api.err(
        "reports", report="audit_totals", date_start="2020-01-01", selected_campaigns=spaced
    )
    assert message == "Invalid selected_campaigns: a comma list without spaces"
    bad_date = api.err(
        "reports", report="audit_totals", date_start="01/02/2020", selected_campaigns=GIFT_MAIN
    )
    assert bad_date == "Invalid date_start: use YYYY-MM-DD"
    root = api.ok(
        "reports",
        report="coalition_stored_value",
        date_start="2000-01-01",
        selected_campaigns=f"{GIFT_MAIN},{GIFT_USD},{POINTS_MAIN}",
    )
    assert [text_of(c, "campaign_id") for c in root.findall("campaign")] == [GIFT_MAIN]
