"""``pos-app report business|customer|balances`` and ``pos-app gdpr-export`` as a script runs them.

Against the emulators over HTTP with a real journal in tmp_path (``main()`` in this process),
plus one real ``pos-app --training`` process for the in-process emulators.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter as Tally
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.cli import main
from pos_app.journal.audit_trail import AuditTrail
from pos_app.journal.database import JOURNAL_FILE, open_journal
from pos_app.sandbox.state import Sandbox
from tests.cli_tills import MAIN_CARD, faults, write_config
from tests.test_operations_cli import Counter, counter_at

ALICE = "alice.martin@example.com"
GIFT = "4564222953051300"  # ClientToolbox seed 0: the EUR gift card campaign


@pytest.fixture
def till(
    sandbox_server: tuple[str, Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Counter:
    return counter_at(sandbox_server, tmp_path, capsys, monkeypatch)


def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as sheet:
        return list(csv.reader(sheet))


def members(sandbox: Sandbox, campaign: str) -> dict[str, str]:
    seed = sandbox.seed_summary()["clienttoolbox"]["customers"]
    return {row["code"]: row["balance"] for row in seed if row["campaign_id"] == campaign}


# -- report business / customer ----------------------------------------------------------------


def test_business_report_json_text_and_csv(
    till: Counter, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    _, sandbox = sandbox_server
    seed = sandbox.seed_summary()["loyaltydog"]
    own = sandbox.loyaltydog.business_report(seed["program_id"])
    code, answer = till.json("report", "business")
    assert code == 0
    assert answer["card_counts"]["total"] == len(seed["cards"])
    assert answer["card_counts"]["active"] == Tally(c["status"] for c in seed["cards"])["active"]
    assert answer["total_balance"] == own["totalBalance"]
    assert answer["total_sold"] == own["totalSold"]
    assert answer["sales_this_month"] == own["salesThisMonth"]
    assert answer["currency"] == "USD"

    sheet = tmp_path / "business.csv"
    code, out, err = till("report", "business", "--csv", str(sheet))
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"Gift cards: {len(seed['cards'])} (active ")
    assert "Outstanding:" in out
    assert f"Written to {sheet}" in out
    figures = {line[0]: line[1:] for line in read_csv(sheet)[1:]}
    assert figures["total_balance"] == [own["totalBalance"], "USD"]
    assert figures["card_counts.total"] == [str(len(seed["cards"])), ""]


def test_customer_report_for_a_card_number_and_for_everyone(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    cards = sandbox.seed_summary()["loyaltydog"]["cards"]
    main_card = next(c for c in cards if c["cardNumber"] == MAIN_CARD)
    theirs = [c for c in cards if c["customerId"] == main_card["customerId"]]
    code, one = till.json("report", "customer", "--card", MAIN_CARD)
    assert code == 0
    assert one["total_cards"] == len(theirs) > 1
    assert Decimal(one["total_balance"]) == sum(Decimal(c["balance"]) for c in theirs)
    code, by_id = till.json("report", "customer", "--card", main_card["id"])
    assert (code, by_id["total_cards"]) == (0, len(theirs))
    code, everyone = till.json("report", "customer")
    assert code == 0
    assert everyone["total_cards"] == len(cards)
    assert Decimal(everyone["total_balance"]) == sum(Decimal(c["balance"]) for c in cards)
    code, out, _ = till("report", "customer", "--card", MAIN_CARD)
    assert out.startswith(f"The customer of card {MAIN_CARD}: {len(theirs)} cards")


def test_customer_report_for_an_unknown_card_fails(till: Counter) -> None:
    code, out, err = till("report", "customer", "--card", "6000000000000000")
    assert (code, out) == (1, "")
    assert "No gift card has the number 6000000000000000" in err


def test_options_for_another_report_are_usage_errors(till: Counter) -> None:
    code, _, err = till("report", "business", "--campaign", GIFT)
    assert code == 2
    assert "--campaign is for report balances" in err
    code, _, err = till("report", "balances", "--card", MAIN_CARD)
    assert code == 2
    assert "--card is for report customer" in err
    code, _, err = till("report", "balances", "--page-size", "0")
    assert code == 2
    assert "--page-size" in err


def test_a_back_end_that_is_not_set_up_is_a_failure(
    sandbox_server: tuple[str, Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    till = counter_at(sandbox_server, tmp_path, capsys, monkeypatch)
    url, sandbox = sandbox_server
    write_config(url, sandbox, till.config, loyaltydog={"enabled": False})
    code, out, err = till("report", "business")
    assert (code, out) == (1, "")
    assert "LoyaltyDog is not set up on this till" in err


# -- report balances -----------------------------------------------------------------------------


def test_balances_default_to_the_first_configured_campaign(
    till: Counter, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    _, sandbox = sandbox_server
    first = sandbox.seed_summary()["clienttoolbox"]["campaigns"][0]["campaign_id"]
    expected = members(sandbox, first)
    sheet = tmp_path / "balances.csv"
    code, out, err = till("report", "balances", "--page-size", "50", "--csv", str(sheet))
    assert code == 0, err
    pages = -(-len(expected) // 50)
    total = len(expected)
    assert err.splitlines() == [
        f"page {n}: {min(50, total - 50 * (n - 1))} rows ({min(50 * n, total)} so far)"
        for n in range(1, pages + 1)
    ]
    lines = read_csv(sheet)
    assert lines[0][:3] == ["code", "card_number", "first_name"]
    assert {line[0]: line[7] for line in lines[1:]} == expected
    assert len(lines) - 1 == len(expected)
    assert out.splitlines()[-1] == f"Written to {sheet} ({len(expected)} rows)"
    assert f"Campaign {first}: {len(expected)} customers" in out


def test_balances_json_has_rows_totals_and_no_progress(
    till: Counter, sandbox_server: tuple[str, Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    _, sandbox = sandbox_server
    expected = members(sandbox, GIFT)
    capsys.readouterr()
    code = main(
        [
            *("--config", str(till.config), "--data-dir", str(till.data_dir)),
            *("report", "balances", "--campaign", GIFT, "--page-size", "50", "--json"),
        ]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert answer["campaign_id"] == GIFT
    assert answer["coalition"] is None
    assert answer["pages"] == -(-len(expected) // 50)
    assert {row["code"]: row["balance"] for row in answer["rows"]} == expected
    assert answer["customers"] == len(expected)
    assert Decimal(answer["totals"]["balance"]) == sum(Decimal(v) for v in expected.values())
    assert answer["unit"] == "EUR"
    assert sum(bucket["count"] for bucket in answer["distribution"]) == len(expected)


@pytest.mark.parametrize(
    ("campaign", "coalition"), [("318204775190", "points"), (GIFT, "storedvalue")]
)
def test_coalition_variants(
    till: Counter, sandbox_server: tuple[str, Sandbox], campaign: str, coalition: str
) -> None:
    _, sandbox = sandbox_server
    data = sandbox.clienttoolbox
    kind = data.campaigns[campaign].type
    pool = [c.id for c in data.campaigns.values() if c.type == kind and not c.opt_out]
    code, answer = till.json("report", "balances", "--campaign", campaign, "--coalition", coalition)
    assert code == 0
    assert answer["coalition"] == coalition
    assert [row["code"] for row in answer["rows"]] == data.members[campaign]
    for row in answer["rows"]:
        assert Decimal(row["balance"]) == sum(data.balance(row["code"], c) for c in pool)


def test_balances_of_a_refused_coalition_exit_1(till: Counter) -> None:
    code, out, err = till("report", "balances", "--campaign", GIFT, "--coalition", "points")
    assert (code, out) == (1, "")
    assert err.startswith("pos-app: ClientToolbox: ")
    assert "nothing was written" in err


def test_balances_while_clienttoolbox_is_down_write_nothing(
    till: Counter, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    url, _ = sandbox_server
    faults(url, "clienttoolbox", outage=True)
    sheet = tmp_path / "never.csv"
    code, out, err = till("report", "balances", "--campaign", GIFT, "--csv", str(sheet))
    assert (code, out) == (1, "")
    assert "run it again later" in err
    assert not sheet.exists()


def test_balances_without_a_campaign_anywhere_is_a_usage_error(
    sandbox_server: tuple[str, Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    till = counter_at(sandbox_server, tmp_path, capsys, monkeypatch)
    url, sandbox = sandbox_server
    write_config(url, sandbox, till.config, clienttoolbox={"campaign_ids": []})
    code, _, err = till("report", "balances")
    assert code == 2
    assert "needs --campaign ID" in err


def test_a_csv_into_a_missing_folder_fails_before_anything_is_asked(
    till: Counter, tmp_path: Path
) -> None:
    code, out, err = till("report", "business", "--csv", str(tmp_path / "nope" / "x.csv"))
    assert (code, out) == (1, "")
    assert "does not exist" in err


def test_report_shift_still_needs_a_manager(till: Counter) -> None:
    code, _, err = till("report", "shift")
    assert code == 2
    assert "for managers" in err


# -- gdpr-export -----------------------------------------------------------------------------


def audit_lines(data_dir: Path, action: str) -> list[dict[str, object]]:
    journal = open_journal(data_dir)
    try:
        return [
            {**line.detail, "result": line.result, "by": line.cashier}
            for line in AuditTrail(journal, "till-1").recent(action=action)
        ]
    finally:
        journal.close()


def test_gdpr_export_and_download(
    till: Counter, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    target = tmp_path / "alice.json"
    code, out, err = till(
        "gdpr-export", "--email", ALICE, "--format", "json", "--download", str(target)
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("GDPR export ")
    assert lines[0].endswith(" (json): completed")
    assert lines[1].startswith("Requested: ")
    assert lines[2].startswith("Expires:   ")
    assert lines[3] == f"Downloaded {target.stat().st_size} bytes to {target}"
    assert json.loads(target.read_bytes())["customer"]["email"] == ALICE
    [requested] = audit_lines(till.data_dir, "gdpr_export_requested")
    assert requested["email"] == ALICE
    assert requested["result"] == "completed"
    assert requested["export_id"] == lines[0].split()[2]
    assert str(requested["by"]).endswith("(pos-app)")
    [downloaded] = audit_lines(till.data_dir, "gdpr_export_downloaded")
    assert downloaded["path"] == str(target)


def test_gdpr_export_json_by_customer_id(
    till: Counter, sandbox_server: tuple[str, Sandbox]
) -> None:
    _, sandbox = sandbox_server
    customer = sandbox.seed_summary()["loyaltydog"]["customers"][0]
    code, answer = till.json("gdpr-export", "--customer-id", customer["id"], "--format", "csv")
    assert code == 0
    assert answer["status"] == "completed"
    assert answer["format"] == "csv"
    assert answer["export_id"]
    assert answer["expires_at"] > answer["requested_at"]
    assert answer["download"] is None
    assert audit_lines(till.data_dir, "gdpr_export_requested")[0]["customer_id"] == customer["id"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--email", "alice.example.com", "--format", "json"], "not an e-mail address"),
        (["--email", "", "--format", "csv"], "exactly one"),
        (["--customer-id", "  ", "--format", "json"], "exactly one"),
    ],
)
def test_gdpr_export_usage_errors_send_nothing(
    till: Counter, sandbox_server: tuple[str, Sandbox], args: list[str], says: str
) -> None:
    _, sandbox = sandbox_server
    code, out, err = till("gdpr-export", *args)
    assert (code, out) == (2, "")
    assert says in err
    assert "Traceback" not in err
    assert len(sandbox.loyaltydog._exports) == 0
    assert not (till.data_dir / JOURNAL_FILE).exists()  # refused before the journal opened


@pytest.mark.parametrize(
    "args",
    [
        ["--email", ALICE, "--format", "xml"],
        ["--email", ALICE, "--customer-id", "abc", "--format", "json"],
        ["--format", "json"],
    ],
)
def test_gdpr_export_bad_options_exit_2(
    till: Counter, sandbox_server: tuple[str, Sandbox], args: list[str]
) -> None:
    _, sandbox = sandbox_server
    with pytest.raises(SystemExit) as exc:
        till("gdpr-export", *args)
    assert exc.value.code == 2
    assert len(sandbox.loyaltydog._exports) == 0


def test_a_failed_download_names_the_export_that_was_made(
    till: Counter, sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> None:
    target = tmp_path / "is-a-folder"
    target.mkdir()
    code, out, err = till(
        "gdpr-export", "--email", ALICE, "--format", "json", "--download", str(target)
    )
    assert (code, out) == (1, "")
    [requested] = audit_lines(till.data_dir, "gdpr_export_requested")
    assert err.startswith(f"pos-app: GDPR export {requested['export_id']} was requested (completed")
    assert f"could not be saved to {target}" in err
    assert audit_lines(till.data_dir, "gdpr_export_downloaded") == []
    assert list(target.iterdir()) == []


def test_gdpr_export_of_an_unknown_customer_exits_1(till: Counter) -> None:
    code, out, err = till("gdpr-export", "--email", "nobody@example.com", "--format", "json")
    assert (code, out) == (1, "")
    assert err == "pos-app: LoyaltyDog: No gift card customer with that id or e-mail\n"
    [attempt] = audit_lines(till.data_dir, "gdpr_export_requested")
    assert str(attempt["result"]).startswith("failed:")


# -- training mode, as a real process ----------------------------------------------------------


def test_training_mode_runs_every_command_in_process(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("POS_APP_CONFIG", None)
    base = [sys.executable, "-m", "pos_app", "--training", "--data-dir", str(tmp_path)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*base, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert "Traceback" not in done.stderr
        return done

    business = run("report", "business", "--json")
    assert business.returncode == 0
    assert json.loads(business.stdout)["card_counts"]["total"] > 0
    balances = run("report", "balances", "--campaign", GIFT)
    assert balances.returncode == 0
    assert balances.stderr.startswith("page 1: 100 rows")
    target = tmp_path / "export.csv"
    export = run("gdpr-export", "--email", ALICE, "--format", "csv", "--download", str(target))
    assert export.returncode == 0, export.stderr
    assert target.read_text(encoding="utf-8").startswith("customerId,")
