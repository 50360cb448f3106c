"""Find the Designer forms and resources wherever Tillcard runs: wheel, source tree or bundle."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _roots() -> tuple[Path, ...]:
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [
        _PACKAGE_DIR / "_data",  # installed wheel (force-included by hatch)
        _PACKAGE_DIR.parent,  # source checkout / editable install
    ]
    if bundle:
        candidates.insert(0, Path(bundle) / "pos_app" / "_data")
    return tuple(candidates)


class MissingAsset(FileNotFoundError):
    """A form or resource that should ship with Tillcard is not where it belongs."""


def _find(kind: str, name: str) -> Path:
    for root in _roots():
        path = root / kind / name
        if path.is_file():
            return path
    raise MissingAsset(f"{kind}/{name} is missing from this installation")


def ui_path(name: str) -> Path:
    return _find("ui", name)


def resource_path(name: str) -> Path:
    return _find("resources", name)


def ui_dir() -> Path:
    return ui_path("main_window.ui").parent
