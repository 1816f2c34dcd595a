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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import emit, table  # noqa: E402


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
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
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
    lines = [f"tljh-config, cold whole process, median of {args.runs} runs, Python {sys.version.split()[0]}; "
             f"target: show and set under {TARGET_MS} ms", ""]
    table_rows = []
    for name, ms in rows:
        target = ("met" if ms < TARGET_MS else "MISSED") if name in ("tljh-config show", "tljh-config set") else ""
        table_rows.append((name, ms, f"{ms / baseline:.2f}", target))
    emit(lines + table(["command", "median ms", "x baseline", f"< {TARGET_MS} ms"], table_rows), args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
