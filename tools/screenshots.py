"""Regenerate docs/screenshots/ by running the real app under Xvfb and driving it with xdotool.

Usage: python tools/screenshots.py [OUTPUT_DIR]   (needs: xvfb, xdotool, imagemagick)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DISPLAY = ":97"
SIZE = "1280x800"


@dataclass
class Scene:
    name: str
    keys: list[str] = field(default_factory=list)
    settle_seconds: float = 1.0


SCENES = [Scene("training", settle_seconds=3.0)]


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        sys.exit(f"{tool} is missing: apt-get install -y xvfb xdotool imagemagick")


def _capture(out: Path, env: dict[str, str]) -> None:
    subprocess.run(["import", "-window", "root", str(out)], env=env, check=True)


def main() -> int:
    for tool in ("Xvfb", "xdotool", "import"):
        _need(tool)
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{SIZE}x24", "-nolisten", "tcp"])
    env = {**os.environ, "DISPLAY": DISPLAY, "QT_QPA_PLATFORM": "xcb"}
    try:
        time.sleep(1)
        for scene in SCENES:
            with tempfile.TemporaryDirectory() as data_dir:
                app = subprocess.Popen(
                    [sys.executable, "-m", "pos_app", "--training", "--data-dir", data_dir],
                    env=env,
                )
                try:
                    subprocess.run(
                        ["xdotool", "search", "--sync", "--name", "Tillcard"],
                        env=env,
                        check=True,
                        timeout=30,
                        capture_output=True,
                    )
                    subprocess.run(
                        ["xdotool", "search", "--name", "Tillcard", "windowsize", "100%", "100%"],
                        env=env,
                        check=False,
                        capture_output=True,
                    )
                    time.sleep(scene.settle_seconds)
                    for key in scene.keys:
                        subprocess.run(["xdotool", *key.split()], env=env, check=True)
                        time.sleep(0.3)
                    time.sleep(0.5)
                    _capture(out_dir / f"{scene.name}.png", env)
                    print(f"wrote {out_dir / (scene.name + '.png')}")
                finally:
                    app.terminate()
                    app.wait(timeout=10)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
