"""Open the journal's SQLite file safely: WAL, full fsync, migrations, and no silent loss.

A damaged file is moved aside (never deleted) and the store owner is told where it went; a data
folder that cannot be written gives a clear message instead of a crash.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from pos_app.problems import JournalUnavailable

log = logging.getLogger(__name__)
__all__ = ["JOURNAL_FILE", "MIGRATIONS", "JournalUnavailable", "migrate", "open_journal"]

JOURNAL_FILE = "journal.sqlite3"
OPEN_LOCK_FILE = "journal.open.lock"
BUSY_TIMEOUT_MS = 5000

_V1 = """
        CREATE TABLE operations (
            key TEXT PRIMARY KEY,              -- idempotency key, born with the operation
            provider TEXT NOT NULL,
            kind TEXT NOT NULL,
            card TEXT NOT NULL,                -- the back-end's card / customer-card / code
            payload TEXT NOT NULL,             -- JSON: what to send
            state TEXT NOT NULL,               -- pending, in_flight, done, rejected, ...
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            reason TEXT,
            result TEXT,                       -- JSON: what the back-end answered
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX operations_by_state ON operations (state, next_attempt_at);
        CREATE INDEX operations_by_card ON operations (provider, card, created_at);
        CREATE TABLE card_cache (
            provider TEXT NOT NULL,
            card TEXT NOT NULL,
            snapshot TEXT NOT NULL,            -- JSON: last state seen online
            seen_at TEXT NOT NULL,
            PRIMARY KEY (provider, card)
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            terminal TEXT NOT NULL,
            cashier TEXT,
            action TEXT NOT NULL,
            detail TEXT NOT NULL,
            result TEXT
        );
        CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""

_V2 = """
        ALTER TABLE operations ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;  -- FIFO per card
        ALTER TABLE operations ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
        ALTER TABLE operations ADD COLUMN cashier TEXT;
        ALTER TABLE operations ADD COLUMN masked TEXT NOT NULL DEFAULT '';
        ALTER TABLE operations ADD COLUMN description TEXT NOT NULL DEFAULT '';
        ALTER TABLE operations ADD COLUMN amount TEXT;          -- Decimal text of a money move
        ALTER TABLE operations ADD COLUMN currency TEXT;
        ALTER TABLE operations ADD COLUMN units INTEGER;        -- stamps added or spent
        ALTER TABLE operations ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE operations ADD COLUMN promised INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE operations ADD COLUMN before TEXT;          -- JSON: card read before sending
        ALTER TABLE operations ADD COLUMN first_sent_at TEXT;
        ALTER TABLE operations ADD COLUMN note TEXT;            -- a manager's resolution note
        CREATE INDEX operations_by_seq ON operations (seq);
        CREATE TABLE card_codes (
            code TEXT NOT NULL,                -- what the cashier scanned or typed
            provider TEXT NOT NULL,
            card TEXT NOT NULL,
            PRIMARY KEY (code, provider, card)
        );
        CREATE TABLE staff (
            name TEXT PRIMARY KEY,
            pin_hash TEXT NOT NULL,            -- scrypt, never the PIN
            is_manager INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
"""

_V3 = """
        ALTER TABLE operations ADD COLUMN undo_of TEXT;         -- the redemption a refund reverses
        -- Backfill; should an older journal hold two live undos of one sale, only the first
        -- is linked, so the unique index below can be built (the second stays listed as is).
        UPDATE operations SET undo_of = json_extract(payload, '$.original') WHERE kind = 'refund'
            AND (state IN ('rejected', 'cancelled') OR seq = (
                SELECT MIN(o.seq) FROM operations o WHERE o.kind = 'refund'
                AND o.state NOT IN ('rejected', 'cancelled')
                AND json_extract(o.payload, '$.original')
                    = json_extract(operations.payload, '$.original')));
        CREATE INDEX operations_by_undo ON operations (undo_of) WHERE undo_of IS NOT NULL;
        -- One live undo per redemption: a refused or cancelled one does not count.
        CREATE UNIQUE INDEX one_undo_per_redemption ON operations (undo_of)
            WHERE undo_of IS NOT NULL AND state NOT IN ('rejected', 'cancelled');
        CREATE INDEX operations_by_time ON operations (terminal, created_at);
        ALTER TABLE staff ADD COLUMN active INTEGER NOT NULL DEFAULT 1;  -- 0: left, kept
        CREATE TABLE shifts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            terminal TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            opened_by TEXT NOT NULL,
            closed_at TEXT,
            closed_by TEXT
        );
        CREATE UNIQUE INDEX one_open_shift_per_till ON shifts (terminal) WHERE closed_at IS NULL;
        CREATE TABLE receipt_prints (
            reference TEXT NOT NULL,           -- the operation's key
            at TEXT NOT NULL,
            cashier TEXT,
            how TEXT NOT NULL                  -- printer name, "pdf", ...
        );
        CREATE INDEX receipt_prints_by_reference ON receipt_prints (reference);
"""

#: SQL that upgrades a database at version i to version i + 1. Only ever append.
MIGRATIONS: Sequence[str] = (_V1, _V2, _V3)


def schema_version(db: sqlite3.Connection) -> int:
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the schema up to date, one transaction per step, so a crash never half-migrates."""
    current = schema_version(db)
    if current > len(migrations):
        raise JournalUnavailable(
            f"The journal was written by a newer Tillcard (schema {current}); "
            "update Tillcard on this till before using it."
        )
    for version in range(current, len(migrations)):
        try:
            db.executescript(
                "BEGIN IMMEDIATE;\n" + migrations[version] + f"\nDELETE FROM schema_version;"
                f"\nINSERT INTO schema_version (version) VALUES ({version + 1});\nCOMMIT;"
            )
        except sqlite3.Error:
            if db.in_transaction:
                db.rollback()
            raise
        log.info("journal schema upgraded to version %d", version + 1)
    return len(migrations)


def _configure(db: sqlite3.Connection) -> None:
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.DatabaseError(f"WAL mode refused (got {mode})")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    check = db.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise sqlite3.DatabaseError(f"integrity check failed: {check}")


def _set_aside(path: Path) -> Path:
    """Keep a damaged journal (and its WAL) for support; never delete a till's records."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            part.rename(Path(str(kept) + suffix))
    return kept


def open_journal(data_dir: Path, migrations: Sequence[str] = MIGRATIONS) -> sqlite3.Connection:
    """The journal connection, configured and migrated; raises :class:`JournalUnavailable`."""
    path = data_dir / JOURNAL_FILE
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)  # user-only from the first byte
            os.close(fd)
        db = sqlite3.connect(path, check_same_thread=False)
    except OSError as exc:
        raise JournalUnavailable(
            f"Tillcard cannot create its journal in {data_dir}: {exc.strerror}. "
            "Check the folder's permissions and free space, or choose another with --data-dir."
        ) from None
    except sqlite3.Error as exc:
        raise JournalUnavailable(f"Tillcard cannot open its journal {path}: {exc}") from None
    try:
        # Processes opening a new or older journal at once (the window and `pos-app sync` started
        # together) take turns; otherwise both migrate, and the loser would take "table already
        # exists" or "database is locked" for damage and set a good journal aside.
        with FileLock(data_dir / OPEN_LOCK_FILE, timeout=BUSY_TIMEOUT_MS / 1000):
            _configure(db)
            migrate(db, migrations)
    except OSError as exc:  # the lock file: permissions, or another process stuck opening it
        db.close()
        raise JournalUnavailable(
            f"Tillcard cannot open its journal {path} ({exc}). Check the folder's permissions, "
            "or close the other Tillcard program opening it; nothing has been lost."
        ) from None
    except sqlite3.DatabaseError as exc:
        db.close()
        if isinstance(exc, sqlite3.OperationalError) and _is_environmental(exc):
            raise JournalUnavailable(
                f"Tillcard cannot write its journal {path}: {exc}. Free some disk space or fix "
                "the folder's permissions; nothing has been lost."
            ) from None
        kept = _set_aside(path)
        log.error("journal %s was damaged (%s); kept as %s", path, exc, kept)
        raise JournalUnavailable(
            f"The journal file was damaged ({exc}). It was kept as {kept.name} for support; "
            "Tillcard will start a new journal next time. Tell your manager: operations that "
            "were pending in it must be checked by hand."
        ) from None
    return db


def _is_environmental(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(
        word in text
        for word in (
            "readonly",
            "read-only",
            "disk is full",
            "disk i/o",
            "unable to open",
            "locked",
        )
    )
