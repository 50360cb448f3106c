"""ClientToolbox emulator: output formats, quirks, fuzzing, reset, seed and the real server."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import ParseError

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.sandbox import clienttoolbox_ops
from pos_app.sandbox.clienttoolbox import INTERNAL_ERROR, ClientToolboxData
from pos_app.sandbox.clienttoolbox_seed import (
    EVENTS_COFFEE,
    FIXTURES,
    GIFT_MAIN,
    POINTS_MAIN,
)
from pos_app.sandbox.state import Sandbox
from tests.sandbox.clienttoolbox_support import ENDPOINT, Api, parse_xml, text_of

JANE = FIXTURES["giftcard"]
AMP = FIXTURES["ampersand"]
BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


@pytest.fixture
def api(asgi_client: httpx.Client, sandbox: Sandbox) -> Api:
    return Api(asgi_client, sandbox)


# --- output formats -----------------------------------------------------------------------------


def test_jsonp_callback_wraps_condensed_json(api: Api) -> None:
    response = api.post("customer_info", code=JANE.code, callback="handleIt", condensed="yes")
    assert response.headers["content-type"].startswith("application/javascript")
    body = response.text
    assert body.startswith("handleIt(")
    assert body.endswith(")")
    assert "\n" not in body
    doc = json.loads(body[len("handleIt(") : -1])
    assert doc["status"] == "success"
    assert doc["customer"]["card_number"] == JANE.card_number


def test_jsonp_error_and_invalid_callback(api: Api) -> None:
    wrapped = api.post("no_such_type", callback="cb").text
    assert json.loads(wrapped[3:-1]) == {"status": "error", "error": "Unknown type: no_such_type"}
    refused = api.post("customer_info", code=JANE.code, callback="alert(1)//")
    assert json.loads(refused.content) == {"status": "error", "error": "Invalid callback name"}


def test_json_pretty_by_default_and_errors_as_json(api: Api) -> None:
    pretty = api.post("campaign_rewards", campaign_id=POINTS_MAIN, output="JSON").text
    assert "\n" in pretty
    doc = api.json("redeem", campaign_id=GIFT_MAIN, code=JANE.code, reward_to_redeem="1000")
    assert doc == {
        "status": "error",
        "error": "Insufficient balance: 37.50 available, 1000.00 requested",
    }


def test_xml_is_utf8_with_declaration_and_escaped(api: Api) -> None:
    body = api.post("customer_info", code=AMP.code).content
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b"Smith &amp; Sons" in body
    assert "<glyph>€</glyph>".encode() in body
    assert text_of(parse_xml(body), "customer/first_name") == "Smith & Sons"


def test_raw_ampersands_break_strict_parsers_until_escaped(api: Api) -> None:
    api.data.raw_ampersands = True
    body = api.post("customer_info", code=AMP.code).content
    assert b"<first_name>Smith & Sons</first_name>" in body
    with pytest.raises(ParseError):
        parse_xml(body)
    repaired = BARE_AMPERSAND.sub("&amp;", body.decode("utf-8")).encode("utf-8")
    root = parse_xml(repaired)
    assert text_of(root, "customer/first_name") == "Smith & Sons"
    assert text_of(root, "customer/custom_field") == "Invoice monthly & keep receipts"


def test_single_json_object_quirk(api: Api) -> None:
    normal = api.json("customer_search", card_number=JANE.card_number, exact_match="sensitive")
    assert isinstance(normal["customers"], list)
    api.data.single_json_object = True
    quirky = api.json("customer_search", card_number=JANE.card_number, exact_match="sensitive")
    assert quirky["customers"]["code"] == JANE.code


def test_echoed_control_characters_keep_the_xml_parseable(api: Api) -> None:
    message = api.err("bad\x00type\x1b<&>")
    assert message == "Unknown type: badtype<&>"


def test_an_unexpected_failure_is_logged_and_answered_not_a_500(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(ctx: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setitem(clienttoolbox_ops.HANDLERS, "campaigns_list", explode)
    with caplog.at_level(logging.ERROR, logger="pos_app.sandbox.clienttoolbox"):
        assert api.err("campaigns_list") == INTERNAL_ERROR
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == ["boom"]


def test_malformed_multipart_is_an_error_response(api: Api) -> None:
    response = api.client.post(
        ENDPOINT,
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
        headers={"content-type": "multipart/form-data"},
    )
    assert response.status_code == 200
    root = parse_xml(response.content)
    assert root.get("status") == "error"


# --- fuzzing ------------------------------------------------------------------------------------

FIELD_NAMES = [
    "type", "user_id", "user_password", "user_api_key", "account_id", "output", "callback",
    "condensed", "code", "card_number", "campaign_id", "amount", "reward_to_redeem",
    "custom_points_redeem", "custom_dollars_redeem", "transaction_id", "transactions_number",
    "include_balances", "exact_match", "first_name", "email", "report", "offset", "limit",
    "coalition_balance", "type_restrict", "promo_id", "authorization", "customer_action",
    "find_customer", "date_start", "selected_campaigns", "custom_date", "length",
    "card_number_generate", "customer_PIN",
]  # fmt: skip
TYPES = [*clienttoolbox_ops.HANDLERS, "", "bogus", "REDEEM"]
VALUES = [
    "", "0", "1", "-1", "9,95", "9.95", ".5", "1e9", "NaN", "99999999999999999999", "all", "Y",
    "JSON", "json", "XML", "yes", "sensitive", "insensitive", "new", "register", "edit",
    "customers_balances", "audit_totals", "coalition_points", "coalition_storedvalue",
    "2024-02-30", "2024-01-01", "points,giftcard", "41", "72", "89",
    POINTS_MAIN, GIFT_MAIN, EVENTS_COFFEE, JANE.code, JANE.card_number, AMP.code,
]  # fmt: skip

field_names = st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12))
field_values = st.one_of(st.sampled_from(VALUES), st.text(max_size=40))
forms = st.dictionaries(field_names, field_values, max_size=8)


def _multipart(fields: dict[str, str]) -> bytes:
    parts = [
        f'--BOUNDARY\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + "--BOUNDARY--\r\n").encode("utf-8")


def _check_body(response: httpx.Response) -> str:
    """The body must be a well-formed answer; returns its status."""
    assert response.status_code == 200, response.text
    ctype = response.headers["content-type"]
    if ctype.startswith("application/javascript"):
        match = re.fullmatch(r"([\w$.]+)\((.*)\)", response.text, flags=re.DOTALL)
        assert match is not None
        doc: dict[str, Any] = json.loads(match.group(2))
    elif ctype.startswith("application/json"):
        doc = json.loads(response.content)
    else:
        root = parse_xml(response.content)
        return str(root.get("status"))
    assert doc.get("error") != INTERNAL_ERROR
    return str(doc["status"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(TYPES),
    extra=forms,
    signed=st.booleans(),
    header=st.sampled_from([None, "good", "bad"]),
    encoding=st.sampled_from(["urlencoded", "multipart", "query"]),
)
@pytest.mark.expected_logs
def test_fuzzed_forms_always_get_a_parseable_answer(
    api: Api, kind: str, extra: dict[str, str], signed: bool, header: str | None, encoding: str
) -> None:
    fields = {**(api.creds() if signed else {}), "type": kind, **extra}
    headers = {}
    if header is not None:
        headers["api_access_key"] = api.data.api_key if header == "good" else "nope"
    if encoding == "urlencoded":
        response = api.client.post(ENDPOINT, data=fields, headers=headers)
    elif encoding == "multipart":
        headers["content-type"] = "multipart/form-data; boundary=BOUNDARY"
        response = api.client.post(ENDPOINT, content=_multipart(fields), headers=headers)
    else:
        response = api.client.get(ENDPOINT, params=fields, headers=headers)
    status = _check_body(response)
    assert status in {"success", "error", "no_match"}
    if status == "error" and not response.headers["content-type"].startswith("application"):
        assert text_of(parse_xml(response.content), "error") != INTERNAL_ERROR


# --- reset and seed -----------------------------------------------------------------------------


def test_reset_restores_balances_and_the_app_follows_the_new_object(
    api: Api, sandbox: Sandbox
) -> None:
    before = sandbox.clienttoolbox
    api.ok("redeem", campaign_id=GIFT_MAIN, code=JANE.code, reward_to_redeem="30")
    assert api.balance(GIFT_MAIN, JANE.code) == "7.50"
    before.raw_ampersands = True
    sandbox.reset()
    assert sandbox.clienttoolbox is not before
    assert api.balance(GIFT_MAIN, JANE.code) == "37.50"
    assert api.ledger() == []
    assert b"Smith &amp; Sons" in api.post("customer_info", code=AMP.code).content
    sandbox.clienttoolbox.raw_ampersands = True
    assert b"Smith & Sons" in api.post("customer_info", code=AMP.code).content


def test_seed_is_deterministic_and_fast() -> None:
    today = date(2025, 3, 1)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        first = ClientToolboxData.seeded(7, today)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.3
    again = ClientToolboxData.seeded(7, today)
    assert first.seed_summary() == again.seed_summary()
    other = ClientToolboxData.seeded(8, today)
    assert other.seed_summary()["customers"] != first.seed_summary()["customers"]
    assert other.seed_summary()["api_key"] != first.seed_summary()["api_key"]


def test_seed_shape_matches_the_contract() -> None:
    data = ClientToolboxData.seeded(0, date(2025, 3, 1))
    summary = data.seed_summary()
    assert set(summary) == {"account_id", "user_id", "api_key", "campaigns", "customers"}
    campaign_ids = [c["campaign_id"] for c in summary["campaigns"]]
    assert {c["type"] for c in summary["campaigns"]} == {"points", "giftcard", "events", "earned"}
    assert all(cid.isdigit() and 12 <= len(cid) <= 19 for cid in campaign_ids)
    assert any(cid.startswith("0") for cid in campaign_ids)
    rows = summary["customers"]
    codes = {r["code"] for r in rows}
    assert len(codes) >= 500
    assert {len(code) for code in codes} == {16, 18}
    assert {len(r["card_number"]) for r in rows} == {8, 9, 10}
    assert len(rows) > len(codes)
    by_campaign = {c["campaign_id"]: c["type"] for c in summary["campaigns"]}
    for row in rows:
        assert {"code", "card_number", "campaign_id", "balance"} <= set(row)
        text = row["balance"]
        if by_campaign[row["campaign_id"]] in {"giftcard", "earned"}:
            assert re.fullmatch(r"-?\d+\.\d{2}", text)
        else:
            assert re.fullmatch(r"-?\d+", text)
        assert Decimal(text) >= 0
    names = [c.first_name + c.last_name + c.custom_field for c in data.customers.values()]
    assert any("&" in n for n in names)
    assert any("é" in n for n in names)
    assert any("€" in n for n in names)


def test_seed_dates_follow_today() -> None:
    early = ClientToolboxData.seeded(0, date(2020, 1, 10))
    late = ClientToolboxData.seeded(0, date(2030, 1, 10))
    early_newest = max(t.timestamp for t in early.transactions.values())
    late_newest = max(t.timestamp for t in late.transactions.values())
    assert early_newest.date() < date(2020, 1, 10)
    assert late_newest.date() < date(2030, 1, 10)
    assert (late_newest - early_newest).days == (date(2030, 1, 10) - date(2020, 1, 10)).days


# --- the real server ----------------------------------------------------------------------------


def _form(sandbox: Sandbox, **fields: str) -> dict[str, str]:
    data = sandbox.clienttoolbox
    return {"user_id": data.user_id, "account_id": data.account_id, **fields}


def test_real_server_answers_with_the_header_key(
    sandbox_http: httpx.Client, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    response = sandbox_http.post(
        ENDPOINT,
        data=_form(sandbox, type="customer_info", card_number=AMP.card_number),
        headers={"api_access_key": sandbox.clienttoolbox.api_key},
    )
    assert response.status_code == 200
    assert text_of(parse_xml(response.content), "customer/first_name") == "Smith & Sons"


def test_apply_then_drop_commits_the_redeem_but_the_client_never_hears(
    sandbox_http: httpx.Client, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    key = sandbox.clienttoolbox.api_key
    fault = {"api": "clienttoolbox", "apply_then_drop_rate": 1.0}
    assert sandbox_http.post("/_sandbox/faults", json=fault).status_code == 200
    redeem = _form(
        sandbox,
        user_password=key,
        type="redeem",
        campaign_id=GIFT_MAIN,
        code=JANE.code,
        reward_to_redeem="5,00",
        authorization="POS-DROP-1",
    )
    with pytest.raises(httpx.TransportError):
        sandbox_http.post(ENDPOINT, data=redeem)
    assert sandbox_http.post("/_sandbox/faults", json={"api": "clienttoolbox"}).status_code == 200
    entries = sandbox_http.get("/_sandbox/ledger").json()["entries"]
    assert [(e["operation"], e["card"], e["amount"], e["reference"]) for e in entries] == [
        ("redeem", JANE.code, "5.00", "POS-DROP-1")
    ]
    check = _form(
        sandbox,
        user_password=key,
        type="customer_balance",
        campaign_id=GIFT_MAIN,
        code=JANE.code,
        transactions_number="1",
    )
    root = parse_xml(sandbox_http.post(ENDPOINT, data=check).content)
    assert text_of(root, "campaign/customer/balance") == "32.50"
    assert text_of(root, "campaign/customer/transactions/transaction/authorization") == "POS-DROP-1"
