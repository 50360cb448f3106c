"""ClientToolbox emulator: authentication, lookups and value-changing calls (in-process)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from pos_app.sandbox.clienttoolbox_seed import (
    EARNED_BUCKS,
    EVENTS_COFFEE,
    FIXTURES,
    GIFT_MAIN,
    GIFT_MALL,
    POINTS_MAIN,
    POINTS_PARTNER,
)
from pos_app.sandbox.state import Sandbox
from tests.sandbox.clienttoolbox_support import ENDPOINT, Api, parse_xml, text_of

AMP = FIXTURES["ampersand"]
ACCENT = FIXTURES["accented"]
JANE = FIXTURES["giftcard"]
AMY = FIXTURES["points"]
BOB = FIXTURES["events"]
CARLA = FIXTURES["earned"]


@pytest.fixture
def api(asgi_client: httpx.Client, sandbox: Sandbox) -> Api:
    return Api(asgi_client, sandbox)


# --- authentication and dispatch ----------------------------------------------------------------


def test_valid_credentials_in_the_body_succeed(api: Api) -> None:
    root = api.ok("campaign_rewards", campaign_id=POINTS_MAIN)
    assert [text_of(r, "id") for r in root.iterfind("rewards/reward")] == ["41", "42", "43"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"user_password": "0000000000badkey00"}, "Invalid user_id or API key"),
        ({"user_id": "someone_else"}, "Invalid user_id or API key"),
        ({"user_id": ""}, "Missing required field: user_id"),
        ({"user_password": ""}, "Missing required field: user_password"),
        ({"account_id": "greatwidgets"}, "Invalid account_id"),
        ({"account_id": ""}, "Missing required field: account_id"),
    ],
)
def test_bad_credentials_are_an_error_with_http_200(
    api: Api, override: dict[str, str], message: str
) -> None:
    form = {**api.creds(), **override, "type": "campaigns_list"}
    response = api.client.post(ENDPOINT, data=form)
    assert response.status_code == 200
    root = parse_xml(response.content)
    assert root.get("status") == "error"
    assert text_of(root, "error") == message
    assert root.find("campaigns") is None


def test_header_key_wins_over_the_body(api: Api) -> None:
    good, bad = api.data.api_key, "ffffffffffffffffff"
    form = {
        "user_id": api.data.user_id,
        "account_id": api.data.account_id,
        "type": "campaigns_list",
    }
    wrong_header = api.client.post(
        ENDPOINT, data={**form, "user_password": good}, headers={"api_access_key": bad}
    )
    assert parse_xml(wrong_header.content).get("status") == "error"
    right_header = api.client.post(
        ENDPOINT, data={**form, "user_password": bad}, headers={"api_access_key": good}
    )
    assert parse_xml(right_header.content).get("status") == "success"
    header_only = api.client.post(ENDPOINT, data=form, headers={"api_access_key": good})
    assert parse_xml(header_only.content).get("status") == "success"


def test_api_keys_survive_expire_tokens(api: Api) -> None:
    api.data.expire_tokens()
    assert api.client.post("/_sandbox/faults", json={"expire_tokens": True}).status_code == 200
    root = api.ok("campaign_rewards", campaign_id=EVENTS_COFFEE)
    assert [text_of(r, "level") for r in root.iterfind("rewards/reward")] == ["5", "10"]


def test_user_api_key_is_accepted_as_the_body_key(api: Api) -> None:
    form = {
        "user_id": api.data.user_id,
        "user_api_key": api.data.api_key,
        "account_id": api.data.account_id,
        "API": "1.5",
        "type": "campaigns_list",
    }
    root = parse_xml(api.client.post(ENDPOINT, data=form).content)
    assert root.get("status") == "success"
    assert len(root.findall("campaigns/campaign")) == 8


def test_unknown_and_missing_type_are_errors(api: Api) -> None:
    assert api.err("fly_to_the_moon") == "Unknown type: fly_to_the_moon"
    assert api.err(None) == "Missing required field: type"


@pytest.mark.parametrize(
    ("kind", "fields", "missing"),
    [
        ("customer_balance", {"code": AMY.code}, "campaign_id"),
        ("record_activity", {"code": JANE.code}, "campaign_id"),
        ("record_activity", {"campaign_id": GIFT_MAIN, "code": JANE.code}, "amount"),
        ("redeem", {"campaign_id": GIFT_MAIN, "code": JANE.code}, "reward_to_redeem"),
        ("redeem", {"campaign_id": GIFT_MAIN, "card_number": JANE.card_number}, "code"),
        ("transaction_delete", {"code": JANE.code, "transaction_id": "1001"}, "campaign_id"),
        ("transaction_delete", {"campaign_id": GIFT_MAIN, "transaction_id": "1001"}, "code"),
        ("transaction_delete", {"campaign_id": GIFT_MAIN, "code": JANE.code}, "transaction_id"),
        ("campaign_rewards", {}, "campaign_id"),
        ("reports", {"campaign_id": POINTS_MAIN}, "report"),
        ("reports", {"report": "customers_balances"}, "campaign_id"),
    ],
)
def test_missing_required_fields_name_the_field(
    api: Api, kind: str, fields: dict[str, str], missing: str
) -> None:
    assert api.err(kind, **fields) == f"Missing required field: {missing}"
    assert api.ledger() == []


def test_customer_lookups_need_an_identity(api: Api) -> None:
    assert api.err("customer_info") == "Missing required field: code or card_number"
    assert api.err("customer_info", card_number="1") == "Customer not found: card_number 1"


def test_api_php_path_get_query_and_multipart_all_work(api: Api) -> None:
    query = {**api.creds(), "type": "customer_info", "code": JANE.code}
    via_get = parse_xml(api.client.get("/clienttoolbox/api.php", params=query).content)
    assert text_of(via_get, "customer/card_number") == JANE.card_number
    multipart = api.client.post(
        "/clienttoolbox/api.php",
        data=query,
        files={"attachment": ("note.txt", b"ignored")},
    )
    assert multipart.request.headers["content-type"].startswith("multipart/form-data")
    assert text_of(parse_xml(multipart.content), "customer/last_name") == "Doe"


# --- customers ----------------------------------------------------------------------------------


def test_customer_info_xml_profile_campaigns_and_available_rewards(api: Api) -> None:
    root = api.ok("customer_info", card_number=AMY.card_number)
    customer = root.find("customer")
    assert customer is not None
    assert text_of(customer, "code") == "173648028775637382"
    assert text_of(customer, "first_name") == "Amy"
    assert text_of(customer, "registered") == "Y"
    campaigns = {text_of(c, "id"): c for c in customer.iterfind("campaigns/campaign")}
    assert set(campaigns) == {POINTS_MAIN, POINTS_PARTNER}
    main = campaigns[POINTS_MAIN]
    assert text_of(main, "type") == "points"
    assert text_of(main, "balance") == "1250"
    levels = {text_of(r, "id"): text_of(r, "level") for r in main.iterfind("rewards/reward")}
    assert levels == {"41": "100", "42": "500"}


def test_customer_info_json_and_narrowing(api: Api) -> None:
    doc = api.json("customer_info", code=JANE.code, campaign_id=GIFT_MAIN)
    assert doc["status"] == "success"
    assert doc["customer"]["last_name"] == "Doe"
    assert doc["customer"]["campaigns"] == [
        {
            "id": GIFT_MAIN,
            "name": "Gift Card",
            "type": "giftcard",
            "balance": "37.50",
            "currency": "EUR",
            "glyph": "€",
        }
    ]
    bare = api.ok("customer_info", code=JANE.code, include_balances="N", hide_custom_field="Y")
    assert bare.find("customer/campaigns") is None
    assert bare.find("customer/custom_field") is None
    assert text_of(bare, "customer/email") == "janedoe@example.test"


def test_customer_info_keeps_non_ascii_and_ampersands(api: Api) -> None:
    accent = api.ok("customer_info", card_number=ACCENT.card_number)
    assert text_of(accent, "customer/first_name") == "Renée"
    assert text_of(accent, "customer/custom_field") == "Préfère les reçus en €"
    amp = api.json("customer_info", card_number=AMP.card_number)
    assert amp["customer"]["first_name"] == "Smith & Sons"


def test_customer_search_single_and_many(api: Api) -> None:
    one = api.ok("customer_search", card_number=AMY.card_number, exact_match="sensitive")
    assert [text_of(c, "code") for c in one.findall("customer")] == [AMY.code]
    many = api.ok("customer_search", last_name="smi")
    names = [text_of(c, "last_name") for c in many.findall("customer")]
    assert len(names) > 5
    assert all("smi" in name.lower() for name in names)
    assert api.ok("customer_search", first_name="smith & sons", exact_match="insensitive")
    message = api.err("customer_search", first_name="smith & sons", exact_match="sensitive")
    assert message == "No customers found"


def test_customer_search_without_fields_returns_everyone(api: Api) -> None:
    root = api.ok("customer_search")
    codes = [text_of(c, "code") for c in root.findall("customer")]
    assert len(codes) == len(set(codes)) == len(api.data.customers) >= 500


def test_customer_search_json_with_balances(api: Api) -> None:
    doc = api.json("customer_search", first_name="Renée", include_balances="Y")
    assert [c["code"] for c in doc["customers"]] == [ACCENT.code]
    balances = {c["id"]: c["balance"] for c in doc["customers"][0]["campaigns"]}
    assert balances == {POINTS_PARTNER: "12340", EVENTS_COFFEE: "5"}


def test_customer_exists_success_and_no_match(api: Api) -> None:
    yes = api.xml("customer_exists", card_number=JANE.card_number, code=JANE.code)
    assert yes.get("status") == "success"
    assert text_of(yes, "message") == "Customer exists"
    mixed = api.xml("customer_exists", card_number=JANE.card_number, code=AMY.code)
    assert mixed.get("status") == "no_match"
    assert text_of(mixed, "message") != ""
    by_email = api.json("customer_exists", email="JANEDOE@example.test")
    assert by_email["status"] == "success"


def test_validate_customer_password(api: Api) -> None:
    assert api.xml(
        "validate_customer_password", card_number=JANE.card_number, customer_PIN="1234"
    ).get("status") == ("success")
    message = api.err(
        "validate_customer_password", card_number=JANE.card_number, customer_PIN="9999"
    )
    assert message == "Invalid customer credentials"


def test_customer_find_and_or_logic(api: Api) -> None:
    root = api.ok("customer_find", find_customer="amy acker, renée dubois")
    assert {text_of(c, "code") for c in root.findall("customer")} == {AMY.code, ACCENT.code}


def test_record_customer_new_then_register_flow(api: Api) -> None:
    created = api.ok(
        "record_customer", customer_action="new", card_number="99887766", campaign_id=GIFT_MAIN
    )
    assert text_of(created, "customer/code") == "99887766"
    assert api.err("record_customer", customer_action="new", card_number="99887766") == (
        "Card number already in use"
    )
    unregistered = FIXTURES["unregistered"]
    registered = api.ok(
        "record_customer",
        customer_action="register",
        card_number=unregistered.card_number,
        first_name="Gift",
        last_name="Receiver",
    )
    assert text_of(registered, "customer/code") == unregistered.code
    info = api.ok("customer_info", card_number=unregistered.card_number)
    assert text_of(info, "customer/registered") == "Y"
    assert text_of(info, "customer/last_name") == "Receiver"


def test_record_customer_edit_updates_or_creates(api: Api) -> None:
    api.ok(
        "record_customer",
        customer_action="edit",
        code=JANE.code,
        phone="555-9999",
        card_number="12340000",
    )
    info = api.ok("customer_info", card_number="12340000")
    assert (text_of(info, "customer/code"), text_of(info, "customer/phone")) == (
        JANE.code,
        "555-9999",
    )
    assert "Customer not found" in api.err("customer_info", card_number=JANE.card_number)
    by_card = api.ok(
        "record_customer", customer_action="edit", card_number=AMY.card_number, city="Gotham"
    )
    assert text_of(by_card, "customer/code") == AMY.code
    created = api.ok("record_customer", customer_action="edit", code="nobody", first_name="New")
    new_code = text_of(created, "customer/code")
    assert len(new_code) == 16
    assert new_code.isdigit()
    assert text_of(api.ok("customer_info", code=new_code), "customer/first_name") == "New"


# --- balance and history ------------------------------------------------------------------------


def test_customer_balance_with_n_and_all_transactions(api: Api) -> None:
    none = api.ok(
        "customer_balance", campaign_id=EVENTS_COFFEE, code=BOB.code, transactions_number="0"
    )
    assert text_of(none, "campaign/campaign_type") == "events"
    assert text_of(none, "campaign/customer/balance") == "12"
    assert none.find("campaign/customer/transactions") is None
    three = api.ok(
        "customer_balance", campaign_id=EVENTS_COFFEE, code=BOB.code, transactions_number="3"
    )
    ids = [
        int(text_of(t, "id")) for t in three.iterfind("campaign/customer/transactions/transaction")
    ]
    assert len(ids) == 3
    assert ids == sorted(ids, reverse=True)
    every = api.ok("customer_balance", campaign_id=EVENTS_COFFEE, card_number=BOB.card_number)
    history = every.findall("campaign/customer/transactions/transaction")
    assert len(history) == 12
    assert [int(text_of(t, "id")) for t in history][:3] == ids
    assert {text_of(t, "redeemed") for t in history} == {"N"}
    assert (
        len(
            api.ok(
                "customer_balance",
                campaign_id=EVENTS_COFFEE,
                code=BOB.code,
                transactions_number="all",
            ).findall("campaign/customer/transactions/transaction")
        )
        == 12
    )


def test_customer_balance_json_transaction_fields(api: Api) -> None:
    doc = api.json("customer_balance", campaign_id=GIFT_MAIN, code=JANE.code)
    campaign = doc["campaign"]
    assert (campaign["campaign_name"], campaign["campaign_type"]) == ("Gift Card", "giftcard")
    assert campaign["customer"]["balance"] == "37.50"
    newest, oldest = campaign["customer"]["transactions"]
    assert (newest["redeemed"], newest["amount"], newest["authorization"]) == (
        "Y",
        "12.50",
        "POS-1002",
    )
    assert (oldest["redeemed"], oldest["amount"], oldest["authorization"]) == (
        "N",
        "50.00",
        "POS-1001",
    )
    assert set(newest) == {
        "id",
        "date",
        "record_timestamp",
        "user_name",
        "redeemed",
        "amount",
        "authorization",
    }


# --- record_activity and redeem -----------------------------------------------------------------


def test_giftcard_load_and_redeem_with_ledger(api: Api) -> None:
    load = api.ok(
        "record_activity",
        campaign_id=GIFT_MAIN,
        code=JANE.code,
        amount="10,50",
        authorization="POS-L1",
    )
    assert text_of(load, "receipt/agency/name") == "Sandbox Coffee & Co. – Café"
    assert text_of(load, "receipt/agency/email") == "frontdesk@sandbox-coffee.test"
    assert text_of(load, "receipt/amount") == "10.50"
    assert api.balance(GIFT_MAIN, JANE.code) == "48.00"
    api.ok(
        "redeem",
        campaign_id=GIFT_MAIN,
        code=JANE.code,
        reward_to_redeem="9,95",
        authorization="POS-R1",
    )
    assert api.balance(GIFT_MAIN, JANE.code) == "38.05"
    assert api.ledger() == [
        ("record_activity", JANE.code, Decimal("10.50"), "POS-L1"),
        ("redeem", JANE.code, Decimal("9.95"), "POS-R1"),
    ]


def test_giftcard_redeem_over_balance_is_refused_without_change(api: Api) -> None:
    message = api.err("redeem", campaign_id=GIFT_MAIN, code=JANE.code, reward_to_redeem="37.51")
    assert message == "Insufficient balance: 37.50 available, 37.51 requested"
    assert api.balance(GIFT_MAIN, JANE.code) == "37.50"
    assert api.ledger() == []
    api.ok("redeem", campaign_id=GIFT_MAIN, code=JANE.code, reward_to_redeem="37.50")
    assert api.balance(GIFT_MAIN, JANE.code) == "0.00"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1,234.50", "is not a number"),
        ("9.999", "more than two decimal places"),
        ("-5", "is not a number"),
        ("0", "must be greater than zero"),
        ("1e3", "is not a number"),
    ],
)
def test_bad_money_amounts_are_refused(api: Api, amount: str, message: str) -> None:
    assert message in api.err(
        "record_activity", campaign_id=GIFT_MAIN, code=JANE.code, amount=amount
    )
    assert api.balance(GIFT_MAIN, JANE.code) == "37.50"


def test_leading_dot_decimal_is_accepted(api: Api) -> None:
    api.ok("redeem", campaign_id=GIFT_MAIN, code=JANE.code, reward_to_redeem=".75")
    assert api.balance(GIFT_MAIN, JANE.code) == "36.75"


def test_points_earn_uses_ratio_promo_and_default(api: Api) -> None:
    receipt = api.ok(
        "record_activity", campaign_id=POINTS_MAIN, card_number=AMY.card_number, amount="12,99"
    )
    assert text_of(receipt, "receipt/amount") == "12"
    assert api.balance(POINTS_MAIN, AMY.code) == "1262"
    api.ok("record_activity", campaign_id=POINTS_PARTNER, code=AMY.code, amount="12.34")
    assert api.balance(POINTS_PARTNER, AMY.code) == "1623"
    api.ok("record_activity", campaign_id=POINTS_MAIN, code=AMY.code, amount="10", promo_id="89")
    api.ok("record_activity", campaign_id=POINTS_MAIN, code=AMY.code)
    assert api.balance(POINTS_MAIN, AMY.code) == "1283"
    assert [e[2] for e in api.ledger()] == [Decimal(12), Decimal(123), Decimal(20), Decimal(1)]
    assert "Invalid promo_id" in api.err(
        "record_activity", campaign_id=POINTS_MAIN, code=AMY.code, promo_id="7"
    )


def test_points_redeem_by_points_dollars_and_reward(api: Api) -> None:
    api.ok(
        "redeem",
        campaign_id=POINTS_MAIN,
        code=AMY.code,
        custom_points_redeem="100",
        authorization="P1",
    )
    api.ok(
        "redeem",
        campaign_id=POINTS_MAIN,
        code=AMY.code,
        custom_dollars_redeem="1,50",
        authorization="P2",
    )
    api.ok(
        "redeem", campaign_id=POINTS_MAIN, code=AMY.code, reward_to_redeem="42", authorization="P3"
    )
    assert api.balance(POINTS_MAIN, AMY.code) == "500"
    assert api.ledger() == [
        ("redeem", AMY.code, Decimal(100), "P1"),
        ("redeem", AMY.code, Decimal(150), "P2"),
        ("redeem", AMY.code, Decimal(500), "P3"),
    ]
    message = api.err("redeem", campaign_id=POINTS_MAIN, code=AMY.code, reward_to_redeem="43")
    assert message.startswith("Not enough points")
    assert "Invalid reward_to_redeem" in api.err(
        "redeem", campaign_id=POINTS_MAIN, code=AMY.code, reward_to_redeem="71"
    )
    assert api.balance(POINTS_MAIN, AMY.code) == "500"
    assert len(api.ledger()) == 3


def test_events_visit_and_reward(api: Api) -> None:
    api.ok("record_activity", campaign_id=EVENTS_COFFEE, code=BOB.code, authorization="V1")
    assert api.balance(EVENTS_COFFEE, BOB.code) == "13"
    api.ok(
        "redeem",
        campaign_id=EVENTS_COFFEE,
        code=BOB.code,
        reward_to_redeem="72",
        authorization="V2",
    )
    assert api.balance(EVENTS_COFFEE, BOB.code) == "3"
    assert api.err(
        "redeem", campaign_id=EVENTS_COFFEE, code=BOB.code, reward_to_redeem="71"
    ).startswith("Not enough points")
    assert api.ledger() == [
        ("record_activity", BOB.code, Decimal(1), "V1"),
        ("redeem", BOB.code, Decimal(10), "V2"),
    ]


def test_earned_campaign_earns_per_event_and_redeems_money(api: Api) -> None:
    assert api.balance(EARNED_BUCKS, CARLA.code) == "19.80"
    api.ok("record_activity", campaign_id=EARNED_BUCKS, code=CARLA.code)
    api.ok("redeem", campaign_id=EARNED_BUCKS, code=CARLA.code, reward_to_redeem="4,75")
    assert api.balance(EARNED_BUCKS, CARLA.code) == "20.00"


def test_first_activity_joins_a_campaign(api: Api) -> None:
    assert api.balance(GIFT_MALL, JANE.code) == "0.00"
    api.ok("record_activity", campaign_id=GIFT_MALL, code=JANE.code, amount="20")
    assert api.balance(GIFT_MALL, JANE.code) == "20.00"
    assert JANE.code in api.data.members[GIFT_MALL]


def test_no_idempotency_a_repeat_applies_twice(api: Api) -> None:
    for _ in range(2):
        api.ok(
            "redeem",
            campaign_id=GIFT_MAIN,
            code=JANE.code,
            reward_to_redeem="5",
            authorization="SAME",
        )
    assert api.balance(GIFT_MAIN, JANE.code) == "27.50"
    assert api.ledger() == [("redeem", JANE.code, Decimal("5.00"), "SAME")] * 2


# --- transaction_delete -------------------------------------------------------------------------


def test_transaction_delete_reverses_once(api: Api) -> None:
    receipt = api.ok(
        "redeem", campaign_id=GIFT_MAIN, code=JANE.code, reward_to_redeem="7.25", authorization="R9"
    )
    tx_id = text_of(receipt, "receipt/transaction_id")
    assert api.balance(GIFT_MAIN, JANE.code) == "30.25"
    api.ok(
        "transaction_delete",
        campaign_id=GIFT_MAIN,
        code=JANE.code,
        transaction_id=tx_id,
        authorization="VOID-R9",
    )
    assert api.balance(GIFT_MAIN, JANE.code) == "37.50"
    again = api.err(
        "transaction_delete", campaign_id=GIFT_MAIN, code=JANE.code, transaction_id=tx_id
    )
    assert again == f"Transaction {tx_id} has already been deleted"
    assert api.balance(GIFT_MAIN, JANE.code) == "37.50"
    assert api.ledger() == [
        ("redeem", JANE.code, Decimal("7.25"), "R9"),
        ("transaction_delete", JANE.code, Decimal("7.25"), "VOID-R9"),
    ]
    history = api.ok("customer_balance", campaign_id=GIFT_MAIN, code=JANE.code)
    assert tx_id not in [text_of(t, "id") for t in history.iterfind(".//transaction")]


def test_transaction_delete_of_a_seeded_earn_and_of_someone_elses(api: Api) -> None:
    history = api.ok(
        "customer_balance", campaign_id=POINTS_MAIN, code=AMY.code, transactions_number="1"
    )
    newest = history.find(".//transaction")
    assert newest is not None
    assert text_of(newest, "amount") == "550"
    tx_id = text_of(newest, "id")
    wrong = api.err(
        "transaction_delete", campaign_id=POINTS_MAIN, code=AMP.code, transaction_id=tx_id
    )
    assert wrong == f"Transaction {tx_id} not found for this customer and campaign"
    api.ok("transaction_delete", campaign_id=POINTS_MAIN, code=AMY.code, transaction_id=tx_id)
    assert api.balance(POINTS_MAIN, AMY.code) == "700"


# --- campaigns ----------------------------------------------------------------------------------


def test_campaigns_list_all_and_restricted(api: Api) -> None:
    root = api.ok("campaigns_list")
    campaigns = {text_of(c, "id"): c for c in root.iterfind("campaigns/campaign")}
    assert len(campaigns) == 8
    main = campaigns[POINTS_MAIN]
    assert (text_of(main, "points_ratio"), text_of(main, "reward_ratio")) == ("1", "0.01")
    assert text_of(main, "glyph") == "€"
    assert text_of(campaigns[EARNED_BUCKS], "earned_per_event") == "4.95"
    assert text_of(campaigns[EVENTS_COFFEE], "glyph") == ""
    assert len(text_of(main, "created_stamp")) == 19
    gift = api.ok("campaigns_list", type_restrict="giftcard")
    assert {text_of(c, "type") for c in gift.iterfind("campaigns/campaign")} == {"giftcard"}
    assert len(gift.findall("campaigns/campaign")) == 3
    doc = api.json("campaigns_list", type_restrict="points,events")
    assert sorted(c["type"] for c in doc["campaigns"]) == ["events", "points", "points", "points"]
    assert api.err("campaigns_list", type_restrict="points,bogus") == "Invalid type_restrict: bogus"


def test_campaigns_list_paging_form(api: Api) -> None:
    root = api.ok("campaigns_list", offset="6", length="5")
    assert len(root.findall("campaigns/campaign")) == 2
    assert (text_of(root, "pagination/total"), text_of(root, "pagination/offset")) == ("8", "6")


def test_campaign_rewards_json_and_giftcard(api: Api) -> None:
    doc = api.json("campaign_rewards", campaign_id=EVENTS_COFFEE)
    assert doc["campaign"] == {"id": EVENTS_COFFEE}
    assert [(r["id"], r["level"], r["description"]) for r in doc["rewards"]] == [
        ("71", "5", "Free espresso"),
        ("72", "10", "Free cake & coffee"),
    ]
    gift = api.ok("campaign_rewards", campaign_id=GIFT_MAIN)
    assert gift.findall("rewards/reward") == []
    assert api.err("campaign_rewards", campaign_id="123") == "Invalid campaign_id: 123"


def test_campaign_promos(api: Api) -> None:
    root = api.ok("campaign_promos", campaign_id=POINTS_MAIN)
    promos = [
        (text_of(p, "id"), text_of(p, "operand"), text_of(p, "value"))
        for p in root.iterfind("promotions/promotion")
    ]
    assert promos == [("89", "x", "2"), ("90", "+", "50")]
