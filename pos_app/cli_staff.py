"""``pos-app staff add|remove|list``: who may sign in on this till, and who is a manager.

PINs are read twice from the terminal (or two lines of stdin, for provisioning scripts) and
only their scrypt hash is stored; every change goes into the audit trail.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

from pos_app.cli import EXIT_OK, Failed, UsageError, config_from_args
from pos_app.cli_operations import journal_failed
from pos_app.cli_sync import read_new_pin

__all__ = ["staff"]


def staff(args: argparse.Namespace, data_dir: Path) -> int:
    from pos_app.journal.audit_trail import AuditTrail
    from pos_app.journal.database import open_journal
    from pos_app.journal.staff import MAX_NAME, Staff
    from pos_app.manager_pin import check_pin_format, hash_pin

    action = args.staff_command
    name = " ".join(getattr(args, "name", "").split())
    if action != "list" and not 0 < len(name) <= MAX_NAME:
        raise UsageError(f"A name has 1 to {MAX_NAME} characters")
    pin = ""
    if action == "add":
        pin = read_new_pin()
        problem = check_pin_format(pin)
        if problem is not None:
            raise Failed(f"{problem}; nothing was changed")
    config = config_from_args(args)
    terminal = config.terminal.id if config else "pos-app"
    journal = open_journal(data_dir)
    try:
        people = Staff(journal)
        audit = AuditTrail(journal, terminal)
        if action == "list":
            everyone = people.people()
            if args.json:
                rows = [{"name": p.name, "role": p.role} for p in everyone]
                print(json.dumps({"staff": rows}, indent=2, ensure_ascii=False))
            elif not everyone:
                print("Nobody is set up: the till opens without sign-in (pos-app staff add NAME).")
            for person in everyone if not args.json else []:
                print(f"{person.name:<30} {person.role}")
            return EXIT_OK
        if action == "remove":
            if not people.remove(name):
                raise Failed(f"Nobody called {name!r} may sign in on this till")
            audit.record("staff_removed", {"name": name}, "ok")
            print(f"{name} can no longer sign in; their past operations keep their name.")
            return EXIT_OK
        stored = people.set_person(name, hash_pin(pin), manager=args.manager)
        role = "manager" if args.manager else "cashier"
        audit.record("staff_set", {"name": stored, "role": role}, "ok")
        print(f"{stored} may sign in on this till as {role}.")
        return EXIT_OK
    except sqlite3.Error as exc:
        raise Failed(journal_failed(data_dir, exc)) from None
    finally:
        journal.close()
