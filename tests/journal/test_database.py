"""The journal file: WAL + full fsync, migrations from day one, and no silent loss at start."""

from __future__ import annotations

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
