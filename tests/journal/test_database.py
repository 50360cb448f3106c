"""The journal file: WAL + full fsync, migrations from day one, and no silent loss at start."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from pos_app.journal.database import (
    JOURNAL_FILE,
    MIGRATIONS,
    JournalUnavailable,
    migrate,
    open_journal,
    schema_version,
)
from pos_app.journal.pending_operations import PendingOperations


def test_new_journal_is_durable_and_private(tmp_path: Path) -> None:
    db = open_journal(tmp_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert schema_version(db) == len(MIGRATIONS)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"operations", "card_cache", "audit", "schema_version"} <= tables
    db.close()
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / JOURNAL_FILE).stat().st_mode) == 0o600


def test_reopening_keeps_what_was_written(tmp_path: Path) -> None:
    db = open_journal(tmp_path)
    with db:
        db.execute(
            "INSERT INTO audit (at, terminal, action, detail) VALUES ('t', 'till-1', 'x', '{}')"
        )
    db.close()
    again = open_journal(tmp_path)
    assert again.execute("SELECT terminal FROM audit").fetchall() == [("till-1",)]


def test_an_old_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    db = open_journal(tmp_path)
    with db:
        db.execute("INSERT INTO card_cache VALUES ('leal', '555', '{}', 'then')")
    db.close()
    newer = (*MIGRATIONS, "ALTER TABLE card_cache ADD COLUMN source TEXT DEFAULT 'lookup';")
    upgraded = open_journal(tmp_path, newer)
    assert schema_version(upgraded) == len(MIGRATIONS) + 1
    assert upgraded.execute("SELECT card, source FROM card_cache").fetchall() == [("555", "lookup")]


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "j.sqlite3")
    broken = ("CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;",)
    with pytest.raises(sqlite3.Error):
        migrate(db, broken)
    assert schema_version(db) == 0
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half" not in tables


def test_a_journal_from_a_newer_tillcard_is_refused(tmp_path: Path) -> None:
    open_journal(tmp_path, (*MIGRATIONS, "CREATE TABLE future (x INTEGER);")).close()
    with pytest.raises(JournalUnavailable, match="newer Tillcard"):
        open_journal(tmp_path)


@pytest.mark.expected_logs
def test_a_damaged_file_is_kept_aside_not_deleted(tmp_path: Path) -> None:
    damaged = b"this is not a database " * 200
    (tmp_path / JOURNAL_FILE).write_bytes(damaged)
    with pytest.raises(JournalUnavailable, match=r"kept as journal\.sqlite3\.damaged-"):
        open_journal(tmp_path)
    kept = list(tmp_path.glob(f"{JOURNAL_FILE}.damaged-*"))
    assert [p.read_bytes() for p in kept if not p.name.endswith(("-wal", "-shm"))] == [damaged]
    fresh = open_journal(tmp_path)
    assert schema_version(fresh) == len(MIGRATIONS)


def test_an_unwritable_place_gives_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).mkdir()  # works even as root, unlike chmod
    with pytest.raises(JournalUnavailable, match="cannot"):
        open_journal(tmp_path)
    assert (tmp_path / JOURNAL_FILE).is_dir()


def test_the_audit_trail_is_append_only(tmp_path: Path) -> None:
    db = open_journal(tmp_path)
    with db:
        db.execute(
            "INSERT INTO audit (at, terminal, action, detail) VALUES ('t', 'till-1', 'x', '{}')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), db:
        db.execute("UPDATE audit SET action = 'y'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), db:
        db.execute("DELETE FROM audit")
    assert db.execute("SELECT action FROM audit").fetchall() == [("x",)]


def test_a_v2_journal_with_a_refund_upgrades_to_v3_with_undo_of_filled_in(
    tmp_path: Path,
) -> None:
    original = "3f9a1c2b-7d4e-4a1b-9c3d-0123456789ab"
    refund = "7c1d2e3f-0000-4000-8000-000000000002"
    old = open_journal(tmp_path, MIGRATIONS[:2])  # as a Tillcard of schema 2 left it
    assert schema_version(old) == 2
    rows = [
        (original, 1, "redeem", {"amount": "5.00", "reference": "POS-1"}),
        (refund, 2, "refund", {"transaction_id": "tx-9", "original": original}),
        ("9a9a9a9a-0000-4000-8000-000000000003", 3, "refund", {"transaction_id": "tx-8"}),
    ]
    with old:
        for key, seq, kind, payload in rows:
            old.execute(
                "INSERT INTO operations (key, seq, provider, kind, card, payload, state,"
                " created_at, updated_at, terminal, amount, currency) VALUES (?, ?, 'loyaltydog',"
                " ?, 'card-1', ?, 'done', '2025-03-09T10:00:00.000000+00:00',"
                " '2025-03-09T10:00:00.000000+00:00', 'till-1', '5.00', 'USD')",
                (key, seq, kind, json.dumps(payload)),
            )
        old.execute(
            "INSERT INTO staff (name, pin_hash, is_manager, created_at) VALUES (?, ?, 1, 'then')",
            ("Sam", "scrypt$16384$8$1$c2FsdA==$aGFzaA=="),
        )
    old.close()

    upgraded = open_journal(tmp_path)
    assert schema_version(upgraded) == len(MIGRATIONS) == 3
    assert upgraded.execute("SELECT key, undo_of FROM operations ORDER BY seq").fetchall() == [
        (original, None),
        (refund, original),
        ("9a9a9a9a-0000-4000-8000-000000000003", None),  # an undo that never named its redemption
    ]
    operations = PendingOperations(upgraded)
    assert [e.key for e in operations.undos_of(original)] == [refund]
    assert operations.get(refund).undo_of == original
    assert upgraded.execute("SELECT name, active FROM staff").fetchall() == [("Sam", 1)]
    tables = {r[0] for r in upgraded.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"shifts", "receipt_prints"} <= tables
    assert upgraded.execute("SELECT COUNT(*) FROM shifts").fetchone() == (0,)
    upgraded.close()


def test_an_old_journal_with_two_live_undos_of_one_sale_still_upgrades(tmp_path: Path) -> None:
    """One live undo per sale is a unique index; a v2 journal that broke that rule must not be
    taken for damaged: only its first undo is linked, and new undos are held to the rule."""
    sale = "3f9a1c2b-7d4e-4a1b-9c3d-0123456789ab"
    first, second, refused = (f"7c1d2e3f-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
    old = open_journal(tmp_path, MIGRATIONS[:2])
    with old:
        for key, seq, state in ((refused, 1, "rejected"), (first, 2, "done"), (second, 3, "done")):
            old.execute(
                "INSERT INTO operations (key, seq, provider, kind, card, payload, state,"
                " created_at, updated_at) VALUES (?, ?, 'loyaltydog', 'refund', 'card-1', ?, ?,"
                " '2025-03-09T10:00:00+00:00', '2025-03-09T10:00:00+00:00')",
                (key, seq, json.dumps({"original": sale}), state),
            )
    old.close()
    upgraded = open_journal(tmp_path)
    linked = upgraded.execute("SELECT key, undo_of FROM operations ORDER BY seq").fetchall()
    assert linked == [(refused, sale), (first, sale), (second, None)]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"), upgraded:
        upgraded.execute(
            "INSERT INTO operations (key, seq, provider, kind, card, payload, state, created_at,"
            " updated_at, undo_of) VALUES ('x', 9, 'loyaltydog', 'refund', 'card-1', '{}',"
            " 'pending', 'now', 'now', ?)",
            (sale,),
        )
    upgraded.close()
