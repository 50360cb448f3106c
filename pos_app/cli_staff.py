"""``pos-app staff add|remove|list`` and ``manager-pin``: who may sign in on this till.

PINs are read twice from the terminal (or two lines of stdin, for provisioning scripts) and
only their scrypt hash is stored; every change goes into the audit trail.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pos_app.cli import EXIT_OK, Failed, UsageError, config_from_args
from pos_app.cli_operations import journal_failed
from pos_app.cli_sync import read_new_pin
from pos_app.journal.audit_trail import AuditTrail
from pos_app.journal.staff import MAX_NAME, Staff

__all__ = ["manager_pin", "staff"]


def _name(args: argparse.Namespace) -> str:
    name = " ".join(args.name.split())
    if not 0 < len(name) <= MAX_NAME:
        raise UsageError(f"A name has 1 to {MAX_NAME} characters")
    return name


def _new_pin_hash() -> str:
    """Asked before the journal opens: a typo in the PIN changes nothing."""
    from pos_app.manager_pin import check_pin_format, hash_pin

    pin = read_new_pin()
    problem = check_pin_format(pin)
    if problem is not None:
        raise Failed(f"{problem}; nothing was changed")
    return hash_pin(pin)


@contextmanager
def _people(args: argparse.Namespace, data_dir: Path) -> Iterator[tuple[Staff, AuditTrail]]:
    from pos_app.journal.database import open_journal

    config = config_from_args(args)
    terminal = config.terminal.id if config else "pos-app"
    journal = open_journal(data_dir)
    try:
        yield Staff(journal), AuditTrail(journal, terminal)
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
    finally:
        journal.close()


def manager_pin(args: argparse.Namespace, data_dir: Path) -> int:
    """The older spelling of ``staff add NAME --manager``, kept for scripts that use it."""
    name = _name(args)
    pin_hash = _new_pin_hash()
    with _people(args, data_dir) as (people, audit):
        stored = people.set_manager(name, pin_hash)
        audit.record("manager_pin_set", {"manager": stored}, "ok")
    print(f"Manager PIN set for {stored} on this till.")
    return EXIT_OK


def staff(args: argparse.Namespace, data_dir: Path) -> int:
    actions: dict[str, Callable[[argparse.Namespace, Path], int]] = {
        "add": _add,
        "remove": _remove,
        "list": _list,
    }
    return actions[args.staff_command](args, data_dir)


def _add(args: argparse.Namespace, data_dir: Path) -> int:
    name = _name(args)
    pin_hash = _new_pin_hash()
    role = "manager" if args.manager else "cashier"
    with _people(args, data_dir) as (people, audit):
        stored = people.set_person(name, pin_hash, manager=args.manager)
        audit.record("staff_set", {"name": stored, "role": role}, "ok")
    print(f"{stored} may sign in on this till as {role}.")
    return EXIT_OK


def _remove(args: argparse.Namespace, data_dir: Path) -> int:
    name = _name(args)
    with _people(args, data_dir) as (people, audit):
        if not people.remove(name):
            raise Failed(f"Nobody called {name!r} may sign in on this till")
        audit.record("staff_removed", {"name": name}, "ok")
    print(f"{name} can no longer sign in; their past operations keep their name.")
    return EXIT_OK


def _list(args: argparse.Namespace, data_dir: Path) -> int:
    with _people(args, data_dir) as (people, _audit):
        everyone = people.people()
    if args.json:
        rows = [{"name": p.name, "role": p.role} for p in everyone]
        print(json.dumps({"staff": rows}, indent=2, ensure_ascii=False))
    elif not everyone:
        print("Nobody is set up: the till opens without sign-in (pos-app staff add NAME).")
    else:
        for person in everyone:
            print(f"{person.name:<30} {person.role}")
    return EXIT_OK
