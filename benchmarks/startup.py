"""Cold start of ``pos-app --training`` to the first painted window, vs a bare PySide6 window.

Each run is a fresh process; the time is from just before spawning it to the first paint event
of its main window (reported by the process itself through POS_APP_BENCH_READY_FILE). Target:
Tillcard within 2x of the bare window.

    .venv/bin/python -m benchmarks.startup [--runs 5]     (offscreen unless DISPLAY is set)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one_run(argv: list[str], milestones: list[float] | None = None) -> float:
    """Seconds to first paint; ``milestones`` gets the time until the screen was wired."""
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        env = {**os.environ, "POS_APP_BENCH_READY_FILE": str(ready), "POS_APP_DATA_DIR": tmp}
        if "DISPLAY" not in env:
            env["QT_QPA_PLATFORM"] = "offscreen"
        started = time.time()
        subprocess.run(argv, env=env, check=True, timeout=120, capture_output=True)
        wired = ready.with_name("ready.wired")
        if milestones is not None and wired.exists():
            milestones.append(float(wired.read_text(encoding="utf-8")) - started)
        return float(ready.read_text(encoding="utf-8")) - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    tillcard = [sys.executable, "-m", "pos_app", "--training"]
    bare = [sys.executable, str(HERE / "bare_window.py")]
    one_run(tillcard)  # warm the OS file cache once, as a till that has started before
    wired: list[float] = []
    ours = [one_run(tillcard, wired) for _ in range(runs)]
    base = [one_run(bare) for _ in range(runs)]
    platform = "xcb (DISPLAY set)" if "DISPLAY" in os.environ else "offscreen"
    print(f"cold start to first paint, median of {runs}, platform {platform}")
    print(
        f"pos-app --training      median {statistics.median(ours) * 1000:7.0f} ms   "
        f"runs {[round(x * 1000) for x in ours]}"
    )
    if wired:
        print(
            f"  … back-ends wired     median {statistics.median(wired) * 1000:7.0f} ms   "
            f"runs {[round(x * 1000) for x in wired]}"
        )
    print(
        f"bare PySide6 window     median {statistics.median(base) * 1000:7.0f} ms   "
        f"runs {[round(x * 1000) for x in base]}"
    )
    print(
        f"ratio (median): {statistics.median(ours) / statistics.median(base):.2f}x   target: <= 2x"
    )


if __name__ == "__main__":
    main()
