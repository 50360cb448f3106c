"""``pip install .`` must carry every Designer form and resource inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pos_app.gui.forms import FORMS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("tillcard-*.whl")
    return found


def _unpacked(wheel: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The wheel unpacked into ``site``, and an environment that runs it before anything else."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "QT_QPA_PLATFORM": "offscreen",
        "POS_APP_DATA_DIR": str(tmp_path / "data"),
    }
    return site, env


def _self_check(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pos_app", "self-check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_wheel_contains_forms_and_resources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for form in FORMS:
        assert f"pos_app/_data/ui/{form}" in names
    for resource in (ROOT / "resources").iterdir():
        assert f"pos_app/_data/resources/{resource.name}" in names
    assert any(name.endswith("entry_points.txt") for name in names)


def test_installed_wheel_self_checks_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    """Unpack the wheel elsewhere and run it first on sys.path: no help from ``ui/`` here."""
    site, env = _unpacked(wheel, tmp_path)
    probe = subprocess.run(
        [sys.executable, "-c", "import pos_app.assets as a; print(a.ui_path('main_window.ui'))"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(site))
    result = _self_check(env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_self_check_names_the_missing_part_of_a_damaged_installation(
    wheel: Path, tmp_path: Path
) -> None:
    """A form lost from an installation stops self-check with a sentence, not a traceback."""
    site, env = _unpacked(wheel, tmp_path)
    (site / "pos_app" / "_data" / "ui" / "main_window.ui").unlink()
    result = _self_check(env, tmp_path)
    assert result.returncode == 1
    assert "ok  journal" in result.stdout
    assert "self-check failed: window" in result.stderr
    assert "main_window.ui is missing" in result.stderr
    assert "Traceback" not in result.stderr
