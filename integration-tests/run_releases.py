"""Run the integration tests of every Debian release side by side, one pytest each.

The releases' sessions share nothing but the Docker engine (their own
containers, networks and host ports; orphans are told apart by process id), and
much of a test's time is spent waiting on an install, a spawn or a restart, so
two sessions side by side take far less than two in a row. Each session writes
its own log; the logs are printed whole when both are done (interleaved pytest
output reads badly), with a progress line every minute meanwhile. The exit
code is non-zero when either session fails.

    .venv-test/bin/python integration-tests/run_releases.py [pytest args...]
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from containers import remove_orphaned_containers, remove_orphaned_images, remove_orphaned_networks  # noqa: E402
from engine import RELEASES, ensure_dockerd  # noqa: E402

PROGRESS_EVERY = 60
COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped)")


def main(pytest_args: list[str]) -> int:
    ensure_dockerd()  # once, before two sessions race for it
    removed = remove_orphaned_containers() + remove_orphaned_networks() + remove_orphaned_images()  # likewise
    if removed:
        print(f"removed containers and networks left by earlier runs: {', '.join(removed)}", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tljh-lite-it-") as tmp:
        logs = {release: Path(tmp) / f"{release}.log" for release in RELEASES}
        runs = {
            release: subprocess.Popen(
                [sys.executable, "-m", "pytest", str(HERE), "--release", release, "-p", "no:cacheprovider", *pytest_args],
                stdout=logs[release].open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            for release in RELEASES
        }
        while any(run.poll() is None for run in runs.values()):
            time.sleep(PROGRESS_EVERY if _all_running(runs) else 5)
            print(_progress(runs, logs, started), flush=True)
        totals: dict[str, int] = {}
        for release in RELEASES:
            text = logs[release].read_text(errors="replace")
            print(f"\n==> integration tests on {release} (exit {runs[release].returncode})\n{text}", flush=True)
            for number, word in COUNTS.findall(_last_line(text)):
                key = "error" if word.startswith("error") else word
                totals[key] = totals.get(key, 0) + int(number)
    failed = totals.get("failed", 0) + totals.get("error", 0)
    exit_code = max(run.returncode for run in runs.values())
    if exit_code and not failed:
        failed = 1  # a session that died before its summary line
    print(f"both releases took {time.monotonic() - started:.0f} s")
    print(f"integration: {totals.get('passed', 0)} passed, {failed} failed")
    return 1 if exit_code else 0


def _all_running(runs) -> bool:
    return all(run.poll() is None for run in runs.values())


def _progress(runs, logs, started) -> str:
    parts = []
    for release, run in runs.items():
        state = "running" if run.poll() is None else f"done (exit {run.returncode})"
        parts.append(f"{release} {state}, {_last_line(logs[release].read_text(errors='replace'))[-60:]!r}")
    return f"[{time.monotonic() - started:5.0f} s] " + "; ".join(parts)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
