"""Start the *bundled* Tillcard in training mode under Xvfb, scan a card, and take screenshots.

Usage: python tools/bundle_screenshot.py [BUNDLE_DIR] [OUTPUT_DIR]
       (defaults: dist/Tillcard and docs/screenshots; needs xvfb, xdotool, imagemagick)

Proves the installed build, not the source tree, paints the cashier screen: it writes
``bundle_training.png`` (a gift card looked up) and ``bundle_about.png`` (F1, which says
"installed build"), and fails if the window never appears or the app logs an error.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DISPLAY = ":96"
SIZE = "1280x800"
GIFT_CARD = "6215943836307608"  # training seed 0: Alice Martin, $ 100.00


def _xdo(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def _shoot(env: dict[str, str], path: Path) -> None:
    subprocess.run(["import", "-window", "root", str(path)], env=env, check=True, timeout=60)
    print(f"wrote {path}")


def main(argv: list[str]) -> int:
    bundle = Path(argv[1] if len(argv) > 1 else "dist/Tillcard")
    out_dir = Path(argv[2] if len(argv) > 2 else "docs/screenshots")
    program = bundle / ("pos-app.exe" if os.name == "nt" else "pos-app")
    if not program.is_file():
        sys.exit(f"{program} is missing: build it with `make package`")
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y xvfb xdotool imagemagick")
    out_dir.mkdir(parents=True, exist_ok=True)
    xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{SIZE}x24", "-nolisten", "tcp"])
    env = {key: value for key, value in os.environ.items() if not key.startswith("QT_")}
    env["DISPLAY"] = DISPLAY
    try:
        time.sleep(1)
        with tempfile.TemporaryDirectory() as data_dir:
            app = subprocess.Popen([str(program), "--training", "--data-dir", data_dir], env=env)
            try:
                found = _xdo(env, "search", "--sync", "--name", "Tillcard .* TRAINING")
                window = found.splitlines()[0]
                _xdo(env, "windowsize", window, "100%", "100%")
                _xdo(env, "windowfocus", "--sync", window)
                time.sleep(2.0)
                _xdo(env, "type", "--delay", "5", GIFT_CARD)
                _xdo(env, "key", "Return")
                time.sleep(2.5)
                _shoot(env, out_dir / "bundle_training.png")
                _xdo(env, "key", "F1")
                time.sleep(1.0)
                _shoot(env, out_dir / "bundle_about.png")
                _xdo(env, "key", "Escape")
            finally:
                app.terminate()
                code = app.wait(timeout=20)
            log = "".join(p.read_text(encoding="utf-8") for p in Path(data_dir).rglob("*.log"))
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    problems = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
    if problems or code not in (0, -signal.SIGTERM):  # terminate() is how this script closes it
        print("\n".join(problems) or f"the app exited with {code}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
