"""``pos-app receipt``, ``pos-app report shift`` and ``pos-app staff`` as a script uses them.

Operations go through ``pos-app redeem``/``stamp`` against the emulators over HTTP; the receipt
PDF's text is read back with pypdfium2, and the shift report is checked against what was done.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pos_app.domain.receipts import receipt_code
from pos_app.journal.database import open_journal
from pos_app.journal.shifts import Shifts
from pos_app.journal.staff import Staff
from pos_app.sandbox.state import Sandbox
from tests.cli_tills import ANA_CODE, MAIN_CARD, STORED_VALUE
from tests.printing.pdf_reading import pdf_pages
from tests.test_operations_cli import Counter, counter_at


@pytest.fixture
def till(
    sandbox_server: tuple[str, Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Counter:
    return counter_at(sandbox_server, tmp_path, capsys, monkeypatch)


def pdf_text(path: Path) -> str:
    return "\n".join(page.text for page in pdf_pages(path))


def _open_shift(till: Counter, by: str = "Ana") -> int:
    journal = open_journal(till.data_dir)
    try:
        shift, _ = Shifts(journal, "till-1").open(by)
    finally:
        journal.close()
    return shift.shift_id


def _set_manager(till: Counter, monkeypatch: pytest.MonkeyPatch, pin: str = "4321") -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{pin}\n{pin}\n"))
    code, out, err = till("staff", "add", "Mia", "--manager")
    assert code == 0, err
    assert out.strip() == "Mia may sign in on this till as manager."


def test_receipt_of_a_redemption_as_pdf(till: Counter, tmp_path: Path) -> None:
    code, answer = till.json("redeem", MAIN_CARD, "12.50")
    assert code == 0
    assert answer["state"] == "done"
    reference = answer["reference"]
    pdf = tmp_path / "r.pdf"
    code, out, err = till("receipt", receipt_code(reference), "--pdf", str(pdf), "--paper", "58")
    assert code == 0, err
    assert receipt_code(reference) in out
    text = pdf_text(pdf)
    assert "$ 12.50" in text
    assert "$ 87.50" in text
    assert "7608" in text
    assert MAIN_CARD not in text.replace(" ", "")
    assert "COPY" not in text
    # By the short reference the second time: it is a copy now.
    code, out, _ = till("receipt", reference[:8], "--pdf", str(pdf))
    assert code == 0
    assert "copy 1" in out
    assert "COPY 1" in pdf_text(pdf)


def test_receipt_of_an_unknown_reference_fails_clearly(
    till: Counter,
    tmp_path: Path,
) -> None:
    code, _, err = till("receipt", "TC0123456789AB", "--pdf", str(tmp_path / "x.pdf"))
    assert code == 1
    assert "No operation 'TC0123456789AB'" in err
    assert not (tmp_path / "x.pdf").exists()
    code, _, err = till("receipt", "TC0123456789AB", "--pdf", str(tmp_path / "no" / "x.pdf"))
    assert code == 1
    assert "does not exist" in err


def test_shift_report_needs_a_manager_and_counts_the_shift(
    till: Counter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = till("report", "shift")
    assert code == 2
    assert "--manager-pin" in err
    _set_manager(till, monkeypatch)
    code, _, err = till("report", "shift", "--manager-pin", "4321")
    assert code == 1
    assert "This till (till-1) has no open shift" in err

    till("redeem", MAIN_CARD, "1.00")  # before the shift: not counted
    shift_id = _open_shift(till)
    amounts = [Decimal("12.50"), Decimal("7.25")]
    for amount in amounts:
        assert till.json("redeem", MAIN_CARD, str(amount))[0] == 0
    assert till.json("stamp", ANA_CODE, "2")[0] == 0
    assert till.json("redeem", STORED_VALUE, "5.00")[0] == 0

    code, out, err = till("report", "shift", "--manager-pin", "0000")
    assert code == 1
    assert "Manager PIN refused" in err
    csv_path, pdf_path = tmp_path / "shift.csv", tmp_path / "shift.pdf"
    code, out, err = till(
        "report", "shift", "--manager-pin", "4321", "--json", "--csv", str(csv_path),
        "--pdf", str(pdf_path),
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["shift"]["id"] == shift_id
    assert report["shift"]["closed_at"] is None
    total = report["total"]
    assert total["redemptions"] == 3
    assert total["redeemed"] == {"USD": str(sum(amounts)), "EUR": "5.00"}
    assert total["stamps_added"] == 2
    assert report["backends"]["loyaltydog"]["redemptions"] == 2
    assert report["backends"]["clienttoolbox"]["redeemed"] == {"EUR": "5.00"}
    assert list(report["cashiers"]) == ["(no sign-in)"]
    with csv_path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows[0]["section"] == "shift"
    assert rows[0]["redemptions"] == "3"
    assert "LoyaltyDog" in pdf_text(pdf_path)
    code, out, _ = till("report", "shift", "--shift", str(shift_id), "--manager-pin", "4321")
    assert code == 0
    assert f"Shift {shift_id}" in out


def test_staff_add_list_remove(till: Counter, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = till("staff", "list")
    assert code == 0
    assert "Nobody is set up" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("2468\n2468\n"))
    assert till("staff", "add", "Ana  Lopez")[0] == 0
    _set_manager(till, monkeypatch)
    code, answer = till.json("staff", "list")
    assert answer == {
        "staff": [{"name": "Ana Lopez", "role": "cashier"}, {"name": "Mia", "role": "manager"}]
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n1\n"))
    code, _, err = till("staff", "add", "Bo")
    assert code == 1
    assert "nothing was changed" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("2468\n2469\n"))
    code, _, err = till("staff", "add", "Bo")
    assert code == 1
    assert "different" in err
    code, out, _ = till("staff", "remove", "ana lopez")
    assert code == 0
    code, _, err = till("staff", "remove", "ana lopez")
    assert code == 1
    assert "Nobody called" in err
    journal = open_journal(till.data_dir)
    try:
        assert [p.name for p in Staff(journal).people()] == ["Mia"]
        stored = journal.execute("SELECT pin_hash FROM staff").fetchall()
        assert all(h.startswith("scrypt$") and "2468" not in h for (h,) in stored)
    finally:
        journal.close()
