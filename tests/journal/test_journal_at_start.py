"""A till whose journal cannot be used says so in one sentence, exits 1 and loses nothing.

Each test starts from a real journal holding one PENDING redemption (made offline through the
CLI), breaks the data folder the way stores break them, runs real ``pos-app`` processes, and
then checks that the pending redemption is still there once the problem is gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pos_app.journal.database import JOURNAL_FILE, open_journal
from pos_app.journal.pending_operations import Entry, EntryState, PendingOperations
from pos_app.sandbox.state import Sandbox
from tests.cli_tills import MAIN_CARD, Till, faults, ledger, secrets_env, write_config

resource: Any
try:
    import resource
except ImportError:  # not on Windows
    resource = None

COMMANDS = {"queue": ["queue"], "redeem": ["redeem", MAIN_CARD, "5.00"]}


@pytest.fixture(scope="module")
def pending_journal(
    _sandbox_server: tuple[str, Sandbox], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, str]:
    """A data folder with one redemption waiting to sync, made once: (config, folder, reference).

    Made the cashier's way: the card looked up online, then redeemed through the CLI while
    LoyaltyDog was down. Each test works on its own copy.
    """
    url, sandbox = _sandbox_server
    sandbox.reset()
    folder = tmp_path_factory.mktemp("pending")
    maker = Till(write_config(url, sandbox, folder / "till.toml"), folder / "data")
    maker.env = secrets_env(sandbox)
    assert maker.run("lookup", MAIN_CARD).returncode == 0
    faults(url, "loyaltydog", outage=True)
    code, answer = maker.json("redeem", MAIN_CARD, "20.00")
    assert (code, answer["state"]) == (0, "pending")
    sandbox.reset()
    return maker.config, maker.data_dir, answer["reference"]


@pytest.fixture
def till(
    pending_journal: tuple[Path, Path, str], sandbox_server: tuple[str, Sandbox], tmp_path: Path
) -> tuple[Till, str]:
    config, template, reference = pending_journal
    _, sandbox = sandbox_server
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    return Till(config, data_dir, secrets_env(sandbox)), reference


def _still_pending(till: Till, reference: str) -> None:
    code, queue = till.json("queue")
    assert code == 0
    assert [(op["reference"], op["state"]) for op in queue["operations"]] == [
        (reference, "pending")
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(done: subprocess.CompletedProcess[str], says: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable for this user; root ignores mode bits, so it gets +i."""
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], check=False).returncode:
        pytest.skip("running as root without chattr +i: cannot make a folder read-only")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


@pytest.mark.parametrize("command", COMMANDS)
def test_read_only_data_folder(command: str, till: tuple[Till, str]) -> None:
    counter, reference = till
    journal = counter.data_dir / JOURNAL_FILE
    before = _digest(journal)
    with read_only(counter.data_dir):
        assert not os.access(counter.data_dir, os.W_OK)
        done = counter.run(*COMMANDS[command])
    _refused(done, "cannot write to its data folder")
    assert "--data-dir" in done.stderr
    assert _digest(journal) == before
    _still_pending(counter, reference)


def _garbage(journal: Path) -> None:
    journal.write_bytes(os.urandom(3000) + b"not a journal")


def _smashed_page(journal: Path) -> None:
    """A real journal with one of its pages overwritten (a bad sector, a torn copy)."""
    data = bytearray(journal.read_bytes())
    page = 4096
    assert len(data) >= 4 * page
    data[2 * page : 3 * page] = b"\xa5" * page
    journal.write_bytes(bytes(data))


@pytest.mark.expected_logs
@pytest.mark.parametrize("damage", [_garbage, _smashed_page], ids=["garbage", "smashed-page"])
@pytest.mark.parametrize("command", COMMANDS)
def test_damaged_journal_is_kept_aside_never_deleted(
    command: str, damage: Callable[[Path], None], till: tuple[Till, str]
) -> None:
    counter, _ = till
    journal = counter.data_dir / JOURNAL_FILE
    damage(journal)
    damaged = journal.read_bytes()
    done = counter.run(*COMMANDS[command])
    _refused(done, "The journal file was damaged")
    (kept,) = counter.data_dir.glob(f"{JOURNAL_FILE}.damaged-*")
    assert kept.name in done.stderr
    assert kept.read_bytes() == damaged  # every byte kept for support
    assert "checked by hand" in done.stderr
    code, queue = counter.json("queue")  # the next start has a new, empty journal
    assert (code, queue) == (0, {"operations": []})
    assert kept.read_bytes() == damaged


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


needs_rlimit = pytest.mark.skipif(resource is None, reason="needs POSIX resource limits")


@needs_rlimit
@pytest.mark.parametrize("command", COMMANDS)
def test_full_disk_at_start(command: str, till: tuple[Till, str]) -> None:
    """No file may grow by a single byte: the kernel refuses every write to the journal.

    Why this stands in for a full disk: filling a real filesystem needs root (a small tmpfs)
    or would fill the developer's disk, and SQLite's ``max_page_count`` is a per-connection
    setting that cannot be imposed on another process. ``RLIMIT_FSIZE`` makes the real,
    unmodified ``pos-app`` process meet failing ``write()`` calls, as on a full disk; SQLite
    reports them as "disk I/O error" (errno EFBIG) rather than "database or disk is full"
    (ENOSPC), and the journal treats both as a problem of the machine, not of the file.
    """
    counter, reference = till
    journal = counter.data_dir / JOURNAL_FILE
    before = _digest(journal)
    done = counter.run(*COMMANDS[command], preexec_fn=_file_size_limit(0))
    _refused(done, "Free some disk space")
    assert "nothing has been lost" in done.stderr
    assert _digest(journal) == before
    assert not list(counter.data_dir.glob("*.damaged-*"))  # a full disk is not damage
    _still_pending(counter, reference)


def _all_entries(data_dir: Path) -> list[Entry]:
    journal = open_journal(data_dir)
    try:
        return PendingOperations(journal).listing(frozenset(EntryState))
    finally:
        journal.close()


@needs_rlimit
@pytest.mark.parametrize("room", [40_000, 56_000, 75_000, 100_000])
def test_disk_filling_up_mid_operation_never_hides_a_saved_operation(
    room: int, till: tuple[Till, str], sandbox_server: tuple[str, Sandbox]
) -> None:
    """Files may grow to ``room`` bytes: the journal fills up somewhere inside a redemption.

    (With this journal: at 40 kB nothing is sent, at 56 kB the older pending redemption is, at
    75 kB both are applied but the journal cannot record it, at 100 kB the redemption is done.)

    Wherever that happens, the cashier's answer must match the journal: exit 0 with the
    reference, or exit 1 naming every operation that went through or will still be sent
    (repeating it would charge the customer twice), and nothing reaches the back-end without
    a journal row.
    """
    url, _ = sandbox_server
    counter, old = till
    done = counter.run("redeem", MAIN_CARD, "5.00", "--json", preexec_fn=_file_size_limit(room))
    assert "Traceback" not in done.stderr
    entries = _all_entries(counter.data_dir)
    new = [e for e in entries if e.key != old]
    if done.returncode == 0:
        answer = json.loads(done.stdout)
        assert [e.key for e in new] == [answer["reference"]]
        assert answer["state"] in ("done", "pending")
    else:
        assert done.returncode == 1
        owed = [e for e in new if e.state.is_open or e.state is EntryState.DONE]
        for entry in owed:
            assert entry.key[:8] in done.stderr, f"{entry.state} {entry.key[:8]} not mentioned"
        assert ("Do not repeat it" in done.stderr) == bool(owed)
    journaled = {e.key for e in entries}
    assert all(line["idempotency_key"] in journaled for line in ledger(url))

    assert counter.sync_until_empty().returncode == 0  # room again: all of it, exactly once
    applied = [line["idempotency_key"] for line in ledger(url)]
    finished = [e.key for e in _all_entries(counter.data_dir) if e.state is EntryState.DONE]
    assert sorted(applied) == sorted(finished)
    assert old in finished


#: ``pos-app`` with its imports done, started at an agreed moment so processes really collide.
AT_ONCE = """
import sys, time
from pos_app.cli import main
start = float(sys.argv[1])
while time.time() < start:
    pass
sys.exit(main(sys.argv[2:]))
"""


def test_tills_opening_a_new_journal_together_never_call_it_damaged(tmp_path: Path) -> None:
    """The cashier window and ``pos-app sync`` started together on a new (or upgraded) journal.

    Both see an old schema version and migrate; the loser must wait for the winner, not take
    "table operations already exists" (or "database is locked") for damage and set a good
    journal aside.
    """
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for attempt in range(3):
        data_dir = tmp_path / f"new-{attempt}"
        start = time.time() + 1.5
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", AT_ONCE, str(start), "--data-dir", str(data_dir), "queue"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(4)
        ]
        results = [(p.wait(timeout=60), *p.communicate()) for p in processes]
        assert all(code == 0 for code, _, _ in results), results
        assert not list(data_dir.glob("*.damaged-*"))
