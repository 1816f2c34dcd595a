"""Every benchmark in one command: one markdown report, each table next to its baseline.

    sudo .venv-test/bin/python bench/all.py [--release bookworm] [--runs 3] [--burst 10 30 50] [--burst-runs 3]
                                             [--markdown FILE]

Runs bench/install.py, bench/servers.py, bench/config_cli.py, bench/backup.py, bench/roster.py and
bench/courses.py one after the other (never at once: they would slow each other down) and prints their
tables together.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", default="bookworm")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burst", type=int, nargs="*", default=[10, 30, 50])
    parser.add_argument("--burst-runs", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    benches = [
        ("install.py", ["--release", args.release, "--runs", str(args.runs)]),
        ("servers.py", ["--release", args.release, "--runs", str(args.runs), "--burst", *map(str, args.burst),
                        "--burst-runs", str(args.burst_runs)]),
        ("config_cli.py", []),
        ("backup.py", ["--release", args.release, "--runs", str(args.runs)]),
        ("roster.py", ["--release", args.release, "--runs", str(args.runs)]),
        ("courses.py", ["--release", args.release, "--runs", str(max(args.runs, 5))]),
    ]
    report = [f"# tljh-lite benchmarks ({time.strftime('%Y-%m-%d')})", ""]
    with tempfile.TemporaryDirectory() as tmp:
        for script, extra in benches:
            out = Path(tmp) / (script + ".md")
            done = subprocess.run([sys.executable, str(HERE / script), *extra, "--markdown", str(out)])
            if done.returncode != 0:
                print(f"error: bench/{script} failed (exit {done.returncode})", file=sys.stderr)
                return 1
            report += [f"## {script}", "", out.read_text(), ""]
    text = "\n".join(report)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
