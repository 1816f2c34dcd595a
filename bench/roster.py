"""Importing a class roster: `tljh-lite users import`, against setting passwords one at a time.

    sudo .venv-test/bin/python bench/roster.py [--release bookworm] [--students 500] [--runs 3]
                                               [--given 100] [--markdown FILE]

One fresh systemd container (integration harness, no memory limit, 2 cores)
with tljh-lite installed by bootstrap (FirstUseAuthenticator). Each figure is
wall time inside the container, measured in the same run:
  - baseline: FirstUseAuthenticator's own reset_password, one password after
    another (bcrypt cost 12), as a script calling it per student would; 25
    measured, scaled to --students;
  - baseline: `tljh-config reload` alone (a hub restart, which the import includes);
  - `tljh-lite users import` of --students students with generated passwords
    (`*`), reload included, median of --runs, new students each run;
  - the same file again (nothing to change);
  - --given students with passwords from the roster (chosen by people, so
    hashed at cost 12, in parallel).
Target (issue 11): 500 students with generated passwords under 10 s on 2
cores, reload included. Three students of the last run then log in through
the login form with their passwords from --passwords-out (a check, not a figure).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from containers import ContainerFactory  # noqa: E402
from engine import RELEASES, ensure_dockerd, ensure_image  # noqa: E402
from installed import InstalledHub, install  # noqa: E402
import report  # noqa: E402

TARGET_SECONDS = 10
BASELINE_SAMPLE = 25
ONE_AT_A_TIME = """
import os, sys, tempfile, time
from firstuseauthenticator import FirstUseAuthenticator
auth = FirstUseAuthenticator(dbm_path=os.path.join(tempfile.mkdtemp(), "passwords.dbm"))
n = int(sys.argv[1])
start = time.perf_counter()
for i in range(n):
    auth.reset_password(f"student{i}", f"password-of-student-{i}")
print((time.perf_counter() - start) / n)
"""


def timed(hub: InstalledHub, command: str) -> float:
    """Seconds `command` takes in the container (its output discarded; it must succeed)."""
    out = hub.sh(f"s=$(date +%s.%N); {command} >/dev/null; e=$(date +%s.%N); echo $s $e", timeout=900).stdout
    start, end = map(float, out.split())
    return end - start


def roster(prefix: str, count: int, password: str) -> str:
    return "username,password\n" + "".join(
        f"{prefix}{i:04d},{password.format(i=i)}\n" for i in range(count))


def import_seconds(hub: InstalledHub, name: str, text: str, out: str | None = None) -> float:
    hub.container.write_file(f"/root/{name}.csv", text, mode=0o600)
    passwords = f" --passwords-out {out}" if out else ""
    return timed(hub, f"tljh-lite users import /root/{name}.csv{passwords}")


def check_logins(hub: InstalledHub, out: str) -> None:
    rows = list(csv.reader(io.StringIO(hub.sh(f"cat {out}").stdout)))[1:]
    for name, password in (rows[0], rows[len(rows) // 2], rows[-1]):
        if not hub.client().login(name, password):
            raise SystemExit(f"error: {name} could not log in with the password from {out}")


def measure(hub: InstalledHub, students: int, runs: int, given: int) -> list[tuple[str, float, float]]:
    per_password = float(hub.container.exec(["/opt/tljh/hub/bin/python3", "-c", ONE_AT_A_TIME, str(BASELINE_SAMPLE)]).stdout)
    reloads = [timed(hub, "tljh-config reload") for _ in range(runs)]
    imports = [import_seconds(hub, f"class{run}", roster(f"r{run}s", students, "*"), f"/root/passwords{run}.csv")
               for run in range(runs)]
    check_logins(hub, f"/root/passwords{runs - 1}.csv")
    again = import_seconds(hub, f"class{runs - 1}", roster(f"r{runs - 1}s", students, "*"))
    chosen = import_seconds(hub, "given", roster("g", given, "chosen-password-{i}"))
    return [
        (f"baseline: FirstUse's reset_password, one at a time, {students} passwords "
         f"({BASELINE_SAMPLE} measured)", per_password * students, per_password * 1000),
        ("baseline: tljh-config reload (median)", statistics.median(reloads), float("nan")),
        (f"tljh-lite users import, {students} generated passwords, reload included (median of {runs})",
         statistics.median(imports), statistics.median(imports) / students * 1000),
        ("&nbsp;&nbsp;the same file again (nothing to change)", again, float("nan")),
        (f"tljh-lite users import, {given} passwords from the roster (cost 12), reload included",
         chosen, chosen / given * 1000),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=RELEASES, default="bookworm")
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--given", type=int, default=100)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    ensure_dockerd()
    factory = ContainerFactory()
    try:
        hub = install(factory, ensure_image(args.release), memory=None)
        rows = measure(hub, args.students, args.runs, args.given)
    finally:
        factory.remove_all()
    ours = rows[2][1]
    verdict = "met" if ours < TARGET_SECONDS else "not met"
    header = [f"Roster import, Debian {args.release} container, 2 cores, {time.strftime('%Y-%m-%d')}; "
              f"target: {args.students} generated passwords under {TARGET_SECONDS} s, reload included ({verdict}); "
              f"{ours:.1f} s against {rows[0][1]:.0f} s one at a time", ""]
    report.emit(header + report.table(["what", "seconds", "ms per student"], rows), args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
