"""The pure ClientToolbox readers: reference examples, number rules, and hostile input.

The fuzzing half feeds random element trees, random bytes, random JSON and known attacks to
every public parse function; the only exceptions allowed out are ``providers.errors`` classes.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain import CampaignType, Money, PointsReward
from pos_app.providers.clienttoolbox_parsing import (
    CampaignInfo,
    Document,
    build_account,
    classify_error,
    decode,
    needs_catalogue,
    parse_balances_report,
    parse_campaign_rewards,
    parse_campaigns,
    parse_customer_info,
    parse_history,
    parse_receipt,
    parse_timestamp,
    raise_for_status,
    reward_lookups_needed,
)
from pos_app.providers.errors import (
    BackendError,
    BackendUnavailable,
    BadResponse,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    Rejected,
    Unauthorized,
)
from tests.hostile_server import BILLION_LAUGHS, EXTERNAL_ENTITY

POINTS = CampaignInfo(id="123456789012", name="Points", type=CampaignType.POINTS, currency="EUR")
GIFT = CampaignInfo(id="4564222953051300", name="Gift", type=CampaignType.GIFTCARD, currency="EUR")
CATALOGUE = {POINTS.id: POINTS, GIFT.id: GIFT}

# The success example of shared/seeds/003 (reports_customers_balances), verbatim.
REFERENCE_REPORT = b"""<response status="success">
<customer>
<card_number>12345678</card_number>
<code>173648028775637382</code>
<first_name>Jane</first_name>
<last_name>Doe</last_name>
<email>jdoe@email.com</email>
<phone>555-5555</phone>
<address1>123 Main St.</address1>
<address2>Apt 3G</address2>
<city>Anytown</city>
<state>ND</state>
<zip>12345</zip>
<country>NZ</country>
<custom1>She likes cheese!</custom1>
<custom_date>1970-07-14</custom_date>
<customer_username>jdoe123</customer_username>
<record_timestamp>2011-05-07 14:38:59</record_timestamp>
<earned>6021</earned>
<redeemed>-6001</redeemed>
<balance>20</balance>
<balance_equivalent>0.02</balance_equivalent>
<earned_equivalent>6.02</earned_equivalent>
<redeemed_equivalent>-6</redeemed_equivalent>
</customer>
</response>"""


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def xml(body: str) -> Document:
    return decode(body.encode(), "XML")


def report_row(earned: str, redeemed: str, balance: str, equivalent: str = "9.51") -> Document:
    return xml(
        f"""<response status="success"><customer><code>0012</code>
        <earned>{earned}</earned><redeemed>{redeemed}</redeemed><balance>{balance}</balance>
        <balance_equivalent>{equivalent}</balance_equivalent></customer></response>"""
    )


# --- reference examples ---------------------------------------------------------------------------


def test_reference_balances_report_for_a_points_campaign() -> None:
    page = parse_balances_report(
        decode(REFERENCE_REPORT, "XML"), campaign=POINTS, currency="USD", offset=100, limit=50
    )
    (row,) = page.rows
    assert row.code == "173648028775637382"
    assert row.card_number == "12345678"
    assert (row.first_name, row.last_name, row.email) == ("Jane", "Doe", "jdoe@email.com")
    assert (row.earned, row.redeemed, row.balance) == (6021, -6001, 20)
    assert row.balance_equivalent == eur("0.02")
    assert row.earned_equivalent == eur("6.02")
    assert row.redeemed_equivalent == eur("-6.00")
    assert (page.offset, page.limit, page.is_last) == (100, 50, True)


def test_reference_report_for_a_gift_card_campaign_is_money() -> None:
    page = parse_balances_report(
        decode(REFERENCE_REPORT, "XML"), campaign=GIFT, currency="USD", offset=0, limit=1
    )
    assert page.rows[0].balance == eur("20.00")
    assert not page.is_last


def test_grouped_counts_parse_in_count_fields() -> None:
    page = parse_balances_report(
        report_row("4,437", "-3,010", "1,427"), campaign=POINTS, currency="EUR", offset=0, limit=9
    )
    row = page.rows[0]
    assert (row.earned, row.redeemed, row.balance) == (4437, -3010, 1427)
    assert row.code == "0012"


@pytest.mark.parametrize(
    ("campaign", "row"),
    [
        (GIFT, ("4,437", "-3,010", "1,427")),  # money never has grouping: 1,427 is ambiguous
        (None, ("4,437", "-3,010", "1,427")),  # unknown type: refuse rather than guess
        (POINTS, ("9.51", "0", "9.51")),  # a count with decimals was misread
        (POINTS, ("4,43", "0", "1")),  # a misplaced group mark
        (POINTS, ("1", "0", "1", "1,427")),  # an equivalent is money
        (GIFT, ("1e3", "0", "1")),
    ],
)
def test_ambiguous_numbers_are_bad_responses(
    campaign: CampaignInfo | None, row: tuple[str, ...]
) -> None:
    with pytest.raises(BadResponse):
        parse_balances_report(
            report_row(*row), campaign=campaign, currency="EUR", offset=0, limit=9
        )


def test_report_with_more_rows_than_asked_is_refused() -> None:
    doc = decode(REFERENCE_REPORT.replace(b"</response>", b"<customer><code>2</code>"
                 b"<earned>1</earned><redeemed>0</redeemed><balance>1</balance></customer>"
                 b"</response>"), "XML")  # fmt: skip
    with pytest.raises(BadResponse):
        parse_balances_report(doc, campaign=POINTS, currency="EUR", offset=0, limit=1)


def test_reference_error_example() -> None:
    doc = xml('<response status="error"><error>Error message</error></response>')
    with pytest.raises(Rejected) as refused:
        raise_for_status(doc, write=False)
    assert refused.value.message == "Error message"


@pytest.mark.parametrize(
    ("message", "read", "write"),
    [
        ("Invalid user_id or API key", Unauthorized, Unauthorized),
        ("Missing required field: user_password", Unauthorized, Unauthorized),
        ("Invalid account_id", Unauthorized, Unauthorized),
        ("Customer not found: code 12", NotFound, NotFound),
        ("No customers found", NotFound, NotFound),
        ("Transaction 9 not found for this customer and campaign", NotFound, NotFound),
        ("Insufficient balance: 1.00 available, 2.00 requested", Rejected, Rejected),
        ("Not enough points: the reward level (5) exceeds ...", Rejected, Rejected),
        ("Missing required field: amount", InvalidRequest, InvalidRequest),
        ("Invalid campaign_id: 42", InvalidRequest, InvalidRequest),
        ("Internal error, please try again", BackendUnavailable, OutcomeUnknown),
        ("Transaction 9 has already been deleted", Rejected, Rejected),
        ("Card inactive", Rejected, Rejected),
        (None, Rejected, Rejected),
    ],
)
def test_error_classification(
    message: str | None, read: type[BackendError], write: type[BackendError]
) -> None:
    assert type(classify_error(message, write=False)) is read
    assert type(classify_error(message, write=True)) is write


def test_refusal_keeps_the_apis_words() -> None:
    error = classify_error("Insufficient balance:\n 1.00\x07 available", write=True)
    assert error.message == "Insufficient balance: 1.00 available"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"status": "error", "error": "Not enough points"}, Rejected),
        ({"status": "error", "errors": ["Missing required field: code"]}, InvalidRequest),
        ({"status": "error", "errors": {"auth": "Invalid user_id or API key"}}, Unauthorized),
        ({"status": "no_match", "message": "No customer matches"}, NotFound),
        ({"status": "pending"}, BadResponse),
        ({"status": 5}, BadResponse),
        ({}, BadResponse),
    ],
)
def test_json_status_shapes(doc: dict[str, Any], expected: type[BackendError]) -> None:
    with pytest.raises(expected):
        raise_for_status(doc, write=False)


def test_unknown_status_on_a_write_is_outcome_unknown() -> None:
    with pytest.raises(OutcomeUnknown):
        raise_for_status(xml('<response status="queued"/>'), write=True)
    with pytest.raises(NotFound):
        raise_for_status(
            xml('<response status="no_match"><message>x</message></response>'), write=True
        )
    raise_for_status(xml('<response status="success"/>'), write=True)


def test_campaigns_list_example() -> None:
    doc = xml(
        """<?xml version="1.0" encoding="UTF-8"?><response status="success"><campaigns>
        <campaign><id>0457712093381624</id><name>Miles</name><type>Points</type>
          <points_ratio>10</points_ratio><currency>eur</currency><glyph>€</glyph></campaign>
        <campaign><id>2468013579024</id><name>Stamps</name><type>events</type><currency/>
          <glyph></glyph></campaign>
        <campaign><id>96</id><name>Club</name><type>buyx</type>
          <item><id>1</id><description>Coffee</description></item></campaign>
        </campaigns></response>"""
    )
    campaigns = parse_campaigns(doc)
    assert list(campaigns) == ["0457712093381624", "2468013579024", "96"]
    miles = campaigns["0457712093381624"]
    assert (miles.type, miles.currency, miles.name) == (CampaignType.POINTS, "EUR", "Miles")
    assert campaigns["2468013579024"].currency is None
    assert campaigns["96"].type is CampaignType.BUYX


@pytest.mark.parametrize(
    "body",
    [
        '{"status":"success","rewards":{"id":"41","level":"100","description":"Coffee"}}',
        '{"status":"success","rewards":[{"id":41,"level":100,"description":"Coffee"}]}',
        '{"status":"success","rewards":{"reward":{"id":"41","level":"100","description":"Coffee"}}}',
    ],
)
def test_one_reward_in_any_json_shape(body: str) -> None:
    rewards = parse_campaign_rewards(decode(body.encode(), "JSON"))
    assert rewards == (PointsReward(id="41", level=100, description="Coffee"),)


def test_campaign_rewards_xml_one_and_many() -> None:
    one = xml(
        '<response status="success"><campaign><id>7</id></campaign><rewards><reward><id>41</id>'
        "<level>1,000</level><description>Coffee &amp; cake</description>"
        "<reward_id>CC</reward_id></reward></rewards></response>"
    )
    assert parse_campaign_rewards(one, "7") == (
        PointsReward(id="41", level=1000, description="Coffee & cake"),
    )
    with pytest.raises(BadResponse):
        parse_campaign_rewards(one, "8")
    with pytest.raises(BadResponse):
        parse_campaign_rewards(xml(
            '<response status="success"><rewards><reward><id>1</id><level>-5</level></reward>'
            "</rewards></response>"
        ))  # fmt: skip


CUSTOMER_INFO = """<response status="success"><customer>
  <code>0000123456789012</code><card_number>0012</card_number>
  <first_name>Zoë</first_name><last_name>O'Brien</last_name><email/>
  <campaigns>
    <campaign><id>123456789012</id><balance>1,250</balance></campaign>
    <campaign><id>4564222953051300</id><name>Gift</name><type>giftcard</type>
      <balance>37.5</balance><currency>EUR</currency></campaign>
    <campaign><id>2468013579024</id><name>Stamps</name><type>events</type><balance>6</balance>
      <rewards/></campaign>
  </campaigns>
</customer></response>"""


def test_customer_info_with_gaps_uses_the_catalogue() -> None:
    entries = parse_customer_info(xml(CUSTOMER_INFO))
    (entry,) = entries
    assert entry.code == "0000123456789012"
    assert entry.card_number == "0012"
    assert needs_catalogue(entries)
    assert not needs_catalogue(entries, restrict=["4564222953051300"])
    assert reward_lookups_needed(entries, CATALOGUE) == ["123456789012"]
    offered = [
        PointsReward(id="41", level=100, description="Coffee"),
        PointsReward(id="43", level=2000, description="Lunch"),
    ]
    rewards = {"123456789012": offered}
    account = build_account(entry, catalogue=CATALOGUE, currency="USD", rewards=rewards)
    assert account.customer.first_name == "Zoë"
    assert account.customer.email is None
    assert {b.campaign_id: b.balance for b in account.balances} == {
        "123456789012": 1250,
        "4564222953051300": eur("37.50"),
        "2468013579024": 6,
    }
    assert account.balances[0].name == "Points"
    assert {cid: [r.id for r in rs] for cid, rs in account.rewards.items()} == {
        "123456789012": ["41"],
        "2468013579024": [],
    }
    restricted = build_account(
        entry, catalogue=CATALOGUE, currency="USD", rewards={}, restrict=["2468013579024"]
    )
    assert [b.campaign_id for b in restricted.balances] == ["2468013579024"]


def test_customer_info_money_without_any_currency_uses_the_tills() -> None:
    (entry,) = parse_customer_info(xml(CUSTOMER_INFO.replace("<currency>EUR</currency>", "")))
    gift = ["4564222953051300"]
    account = build_account(entry, catalogue={}, currency="USD", rewards={}, restrict=gift)
    assert account.balances[0].balance == Money(Decimal("37.50"), "USD")
    with pytest.raises(BadResponse):  # no type known and a grouped number: ambiguous
        build_account(entry, catalogue={}, currency="USD", rewards={}, restrict=["123456789012"])


def test_customer_without_code_is_bad() -> None:
    with pytest.raises(BadResponse):
        parse_customer_info(xml(CUSTOMER_INFO.replace("<code>0000123456789012</code>", "")))


HISTORY = {
    "status": "success",
    "campaign": {
        "campaign_id": "4564222953051300",
        "campaign_type": "giftcard",
        "customer": {
            "code": "0000123456789012",
            "balance": 37.5,
            "transactions": [
                {"id": 4057, "record_timestamp": "2024-02-03 04:05:06", "redeemed": "Y",
                 "amount": "-12.50", "authorization": "POS-1"},
                {"id": "0042", "date": "2024-01-01", "redeemed": "n", "amount": 50},
            ],
        },
    },
}  # fmt: skip


def test_history_json_numbers_and_ids() -> None:
    history = parse_history(
        HISTORY,
        campaign_id="4564222953051300",
        code="0000123456789012",
        catalogue=CATALOGUE,
        currency="USD",
    )
    assert history.balance.balance == eur("37.50")
    first, second = history.transactions
    assert (first.id, first.redeemed, first.amount) == ("4057", True, eur("12.50"))
    assert first.date.isoformat() == "2024-02-03T04:05:06+00:00"
    assert first.matches_reference("POS-1")
    assert (second.id, second.redeemed, second.amount) == ("0042", False, eur("50.00"))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["campaign"]["customer"]["transactions"][0].update(id=4057.5),
        lambda d: d["campaign"]["customer"]["transactions"][0].update(redeemed="maybe"),
        lambda d: d["campaign"]["customer"]["transactions"][0].pop("record_timestamp"),
        lambda d: d["campaign"]["customer"]["transactions"][1].update(date="yesterday"),
        lambda d: d["campaign"]["customer"].update(balance=True),
        lambda d: d["campaign"]["customer"].update(code="999"),
        lambda d: d["campaign"].update(campaign_id="1"),
        lambda d: d["campaign"]["customer"].update(transactions="lots"),
        lambda d: d.pop("campaign"),
    ],
)
def test_history_refuses_unreadable_lines(change: Callable[[dict[str, Any]], object]) -> None:
    doc = json.loads(json.dumps(HISTORY))
    change(doc)
    with pytest.raises(BadResponse):
        parse_history(
            doc,
            campaign_id="4564222953051300",
            code="0000123456789012",
            catalogue=CATALOGUE,
            currency="USD",
        )


def test_receipt_is_read_when_there_and_tolerated_when_not() -> None:
    receipt = xml(
        '<response status="success"><receipt><agency><name>A &amp; B</name></agency>'
        "<transaction_id>0099</transaction_id><authorization>POS-9</authorization>"
        "</receipt></response>"
    )
    assert parse_receipt(receipt, authorization="POS-9").transaction_id == "0099"
    bare = parse_receipt(xml('<response status="success"/>'), authorization="POS-9")
    assert (bare.transaction_id, bare.authorization) == (None, "POS-9")
    odd = parse_receipt(
        {"status": "success", "receipt": {"transaction_id": 1.5}}, authorization="x"
    )
    assert odd.transaction_id is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2011-05-07 14:38:59", "2011-05-07T14:38:59+00:00"),
        ("2011-08-10", "2011-08-10T00:00:00+00:00"),
        ("2012.07.28 22:59:59", "2012-07-28T22:59:59+00:00"),
        ("2012-07-28T22:59:59+02:00", "2012-07-28T22:59:59+02:00"),
    ],
)
def test_timestamps(text: str, iso: str) -> None:
    assert parse_timestamp(text).isoformat() == iso


def test_bare_ampersand_is_repaired_and_bom_accepted() -> None:
    body = "\ufeff<response status='success'><customer><code>1</code><first_name>Smith & Sons"
    body += "</first_name><last_name>A &amp; B</last_name></customer></response>"
    (entry,) = parse_customer_info(decode(body.encode(), "XML"))
    assert (entry.customer.first_name, entry.customer.last_name) == ("Smith & Sons", "A & B")


# --- hostile bodies -------------------------------------------------------------------------------

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<response status="success"/>"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (BILLION_LAUGHS, BadResponse),
        (EXTERNAL_ENTITY, BadResponse),
        (PARAMETER_ENTITY, BadResponse),
        (b'<response status="success"><customer><code>1</co', BadResponse),
        (b'<?xml version="1.0"?><other status="success"/>', BadResponse),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", BackendUnavailable),
        (b"<!DOCTYPE html><title>Login</title>", BackendUnavailable),
        (b'cb({"status":"success"})', BackendUnavailable),
        (b"", BackendUnavailable),
        (b"   \r\n", BackendUnavailable),
        (b"Service Unavailable", BackendUnavailable),
        (b'{"id": "abc", "balance": "12.', BadResponse),
        (b"[1, 2, 3]", BadResponse),
        (b"[" * 100_000 + b"]" * 100_000, BadResponse),
        (b"\xff\xfe<\x00r\x00", BackendError),  # UTF-16: not what this API sends
    ],
)
@pytest.mark.parametrize("output", ["XML", "JSON"])
def test_hostile_bodies(body: bytes, expected: type[BackendError], output: Any) -> None:
    with pytest.raises(expected):
        decode(body, output)


def test_wrong_types_in_json() -> None:
    doc = decode(b'{"id": 5, "balance": {"a": 1}, "status": []}', "JSON")
    with pytest.raises(BadResponse):
        raise_for_status(doc, write=False)
    assert_only_provider_errors(doc)


def test_ten_megabytes_do_not_hang() -> None:
    started = time.monotonic()
    many = b'<response status="success">' + b"<customer><code>1</code></customer>" * 290_000
    with pytest.raises(BadResponse):
        decode(many + b"</response>", "XML")  # over the element cap
    long_error = b'<response status="error"><error>' + b"x " * 5_000_000 + b"</error></response>"
    with pytest.raises(Rejected) as refused:
        raise_for_status(decode(long_error, "XML"), write=False)
    assert len(refused.value.message) <= 200
    rows = {"status": "success", "customers": [{"code": "1", "earned": "1"}] * 400_000}
    doc = decode(json.dumps(rows).encode(), "JSON")
    with pytest.raises(BadResponse):
        parse_balances_report(doc, campaign=POINTS, currency="EUR", offset=0, limit=100)
    assert time.monotonic() - started < 20


# --- fuzzing --------------------------------------------------------------------------------------


def assert_only_provider_errors(doc: Any) -> None:
    """Run every reader on ``doc``; anything but a providers.errors class fails the test."""
    calls: list[Callable[[], object]] = [
        lambda: raise_for_status(doc, write=False),
        lambda: raise_for_status(doc, write=True),
        lambda: parse_campaigns(doc),
        lambda: parse_campaign_rewards(doc, "7"),
        lambda: parse_receipt(doc, authorization="POS-1"),
        lambda: parse_history(
            doc, campaign_id="4564222953051300", code="1", catalogue=CATALOGUE, currency="EUR"
        ),
    ]
    for campaign in (POINTS, GIFT, None):
        calls.append(
            lambda c=campaign: parse_balances_report(  # type: ignore[misc]
                doc, campaign=c, currency="EUR", offset=0, limit=5
            )
        )
    for call in calls:
        with contextlib.suppress(BackendError):
            call()
    try:
        entries = parse_customer_info(doc)
    except BackendError:
        return
    needs_catalogue(entries)
    reward_lookups_needed(entries, CATALOGUE, ["123456789012"])
    for entry in entries:
        with contextlib.suppress(BackendError):
            build_account(entry, catalogue=CATALOGUE, currency="USD", rewards={})


def decode_and_check(body: bytes, output: Any) -> None:
    try:
        doc = decode(body, output)
    except BackendError:
        return
    assert_only_provider_errors(doc)


LEAF = None
SHAPES: dict[str, Any] = {
    "customer": {
        **dict.fromkeys(
            ["code", "card_number", "first_name", "last_name", "email", "phone", "earned",
             "redeemed", "balance", "earned_equivalent", "redeemed_equivalent",
             "balance_equivalent"]
        ),
        "campaigns": {
            "campaign": {
                **dict.fromkeys(["id", "name", "type", "balance", "currency"]),
                "rewards": {"reward": dict.fromkeys(["id", "level", "description"])},
            }
        },
    },
    "campaign": {
        **dict.fromkeys(["id", "campaign_id", "campaign_type", "campaign_name"]),
        "customer": {
            **dict.fromkeys(["code", "card_number", "balance"]),
            "transactions": {
                "transaction": dict.fromkeys(
                    ["id", "date", "record_timestamp", "redeemed", "amount", "authorization"]
                )
            },
        },
    },
    "campaigns": {"campaign": dict.fromkeys(["id", "name", "type", "currency"])},
    "rewards": {"reward": dict.fromkeys(["id", "level", "description"])},
    "receipt": dict.fromkeys(["transaction_id", "authorization"]),
    "error": LEAF,
    "message": LEAF,
}  # fmt: skip

TEXTS = st.one_of(
    st.sampled_from(
        ["", " ", "0", "-0", "12.50", "37.5", "4,437", "-3,010", "1,427", "9.51", "1e5", "NaN",
         "Infinity", "Y", "N", "R", "yes", "points", "giftcard", "events", "earned", "buyx",
         "Points", "EUR", "usd", "4564222953051300", "7", "1", "41", "0457712093381624",
         "2011-05-07 14:38:59", "2011-08-10", "2012.07.28 22:59:59", "99999-99-99",
         "Smith & Sons", "٣٤", "x" * 300, "-99999999999999999999", "123456789012"]
    ),
    st.text(max_size=20),
)  # fmt: skip
STATUS = st.sampled_from(["success", "error", "no_match", "", "SUCCESS", "queued"])
TAGS = st.sampled_from(sorted({"customer", "campaign", "reward", "transaction", "code", "id",
                               "balance", "rewards", "campaigns", "x", "customers"}))  # fmt: skip


def grow(data: st.DataObject, parent: Element, shape: dict[str, Any], depth: int) -> None:
    for tag, inner in shape.items():
        for _ in range(data.draw(st.integers(0, 2 if inner is not None else 1))):
            element = SubElement(parent, tag)
            if inner is None or depth > 4 or data.draw(st.integers(0, 9)) == 0:
                element.text = data.draw(TEXTS)
            else:
                grow(data, element, inner, depth + 1)
    if data.draw(st.integers(0, 4)) == 0:
        SubElement(parent, data.draw(TAGS)).text = data.draw(TEXTS)


def json_of(data: st.DataObject, shape: dict[str, Any] | None, depth: int) -> Any:
    if shape is None or depth > 4:
        return data.draw(
            st.one_of(
                TEXTS,
                st.integers(-(10**20), 10**20),
                st.floats(allow_nan=True),
                st.booleans(),
                st.none(),
                st.just([]),
                st.just({}),
            )
        )
    record = {
        key: json_of(data, inner, depth + 1)
        for key, inner in shape.items()
        if data.draw(st.booleans())
    }
    form = data.draw(st.sampled_from(["record", "list", "wrapped", "scalar"]))
    if form == "list":
        return [
            record,
            *(json_of(data, shape, depth + 1) for _ in range(data.draw(st.integers(0, 2)))),
        ]
    if form == "wrapped":
        return {"item": record}
    if form == "scalar":
        return data.draw(TEXTS)
    return record


FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@FUZZ
@given(st.data(), STATUS)
def test_fuzz_shaped_xml(data: st.DataObject, status: str) -> None:
    root = Element("response", status=status)
    grow(data, root, SHAPES, 0)
    decode_and_check(tostring(root, encoding="utf-8"), "XML")


@FUZZ
@given(st.data(), STATUS)
def test_fuzz_shaped_json(data: st.DataObject, status: Any) -> None:
    doc = json_of(data, SHAPES, 0)
    if isinstance(doc, dict):
        doc["status"] = status
    for key in ("customers", "transactions"):
        if data.draw(st.booleans()) and isinstance(doc, dict):
            doc[key] = json_of(data, SHAPES["customer"], 1)
    decode_and_check(json.dumps(doc).encode(), "JSON")


ANY_TAG = TAGS | st.from_regex(r"[a-z_]{1,6}", fullmatch=True)
ELEMENT_TREES: st.SearchStrategy[tuple[str, str, list[Any]]] = st.recursive(
    st.builds(lambda tag, text: (tag, text, []), ANY_TAG, TEXTS),
    lambda children: st.builds(
        lambda tag, text, kids: (tag, text, kids), TAGS, TEXTS, st.lists(children, max_size=4)
    ),
    max_leaves=25,
)  # fmt: skip


def build(parent: Element, node: tuple[str, str, list[Any]]) -> None:
    tag, text, kids = node
    element = SubElement(parent, tag)
    element.text = text
    for kid in kids:
        build(element, kid)


@FUZZ
@given(STATUS, st.lists(ELEMENT_TREES, max_size=4))
def test_fuzz_random_element_trees(status: str, trees: list[tuple[str, str, list[Any]]]) -> None:
    root = Element("response", status=status)
    for tree in trees:
        build(root, tree)
    decode_and_check(tostring(root, encoding="utf-8"), "XML")


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(["XML", "JSON"]))
def test_fuzz_random_bytes(body: bytes, output: Any) -> None:
    decode_and_check(body, output)


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 400))
def test_fuzz_mangled_valid_xml(noise: bytes, cut: int) -> None:
    body = CUSTOMER_INFO.encode()
    decode_and_check(body[:cut] + noise + body[cut:], "XML")
    decode_and_check(body[:cut], "XML")


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | TEXTS,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                TAGS | st.sampled_from(["status", "error", "errors"]), inner, max_size=5
            )
        ),
        max_leaves=30,
    )
)
def test_fuzz_random_json(value: Any) -> None:
    decode_and_check(json.dumps(value).encode(), "JSON")
    if isinstance(value, dict):
        assert_only_provider_errors(value)
