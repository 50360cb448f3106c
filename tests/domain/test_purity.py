"""The house rule: domain/ is pure Python and imports nothing else from the application."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import pos_app.domain

DOMAIN = Path(pos_app.domain.__file__).parent
MODULES = sorted(DOMAIN.glob("*.py"))
FORBIDDEN_CALLS = {"open", "print", "input", "eval", "exec", "__import__"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_there_are_modules_to_check() -> None:
    assert {path.stem for path in MODULES} >= {
        "money",
        "card_number",
        "gift_cards",
        "stamp_cards",
        "customers",
        "points",
        "operations",
        "policy",
        "receipts",
        "shift_report",
        "balance_figures",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_imports_only_the_stdlib_and_the_domain(path: Path) -> None:
    for name in imported_modules(path):
        top = name.split(".")[0]
        if top == "pos_app":
            assert name.startswith("pos_app.domain"), f"{path.name} imports {name}"
        else:
            assert top in sys.stdlib_module_names, f"{path.name} imports {name}"
            assert top not in {"os", "socket", "sqlite3", "subprocess", "io", "pathlib"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_io_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & FORBIDDEN_CALLS, f"{path.name} calls {calls & FORBIDDEN_CALLS}"


def test_public_names_are_exported() -> None:
    exported = set(pos_app.domain.__all__)
    assert all(hasattr(pos_app.domain, name) for name in exported)
    assert {"Money", "parse_cashier_amount", "Redeem", "check_offline_redeem", "mask"} <= exported
