"""Time cold `tljh-config show` and `set`, whole process, against bare Python start-up.

Usage: python bench/config_cli.py [--runs N]

Each figure is the median wall time of N runs of a fresh process. The
baseline is `python -c pass` with the same interpreter, measured in the same
run, so the ratio says what tljh-config adds. Target (shared/DESIGN.md):
under 300 ms each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 300


def timed(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    tljh_config = Path(sys.executable).parent / "tljh-config"
    if not tljh_config.exists():
        sys.exit(f"error: {tljh_config} not found; pip install -e . into this interpreter's venv first")

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text("# a typical file\nusers:\n  admin:\n  - prof\n  allowed: [alice, bob, carol]\nlimits:\n  memory: 1G\n")
        cli = [str(tljh_config), "--config-path", str(config)]
        values = iter(f"{n}M" for n in range(512, 10_000))
        rows = [
            ("python -c pass (baseline)", timed([sys.executable, "-c", "pass"], args.runs)),
            ("tljh-config show", timed([*cli, "show"], args.runs)),
            # a new value each run, so every run really writes the file
            ("tljh-config set", statistics.median(
                timed([*cli, "set", "limits.memory", next(values)], 1) for _ in range(args.runs)
            )),
            ("tljh-config validate", timed([*cli, "validate"], args.runs)),
        ]

    baseline = rows[0][1]
    print(f"{'command':<28} {'median ms':>10} {'x baseline':>11} {'target':>9}")
    for name, ms in rows:
        target = f"<{TARGET_MS}" if name in ("tljh-config show", "tljh-config set") else ""
        verdict = "" if not target else (" ok" if ms < TARGET_MS else " MISSED")
        print(f"{name:<28} {ms:>10.1f} {ms / baseline:>11.2f} {target:>9}{verdict}")
    print(f"({args.runs} runs each, {sys.executable}, Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
