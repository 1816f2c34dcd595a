"""What a course costs (tljh-lite-courses, issue 23): install time, a student's server start, memory.

    sudo .venv-test/bin/python bench/courses.py [--release bookworm] [--runs 5] [--markdown FILE]

One fresh systemd container (integration harness, no memory limit, 2 cores),
every figure next to its baseline from the same container and run:
  - install: bootstrap (the baseline), bootstrap run again with nothing
    changed, then again with `--plugin tljh-lite-courses` (what the plugin adds
    to a hub without courses), and `tljh-lite course create` (nbgrader into the
    students' environment, the course's folders and formgrader, a hub restart);
  - a student's server, login form to the JupyterLab page through the proxy,
    a new student each run (median of --runs): first with no course (the
    baseline), then with a course, each student enrolled in it (nbgrader's
    assignment list and validator load in her server);
  - memory: each idle student server (systemd MemoryCurrent, median), in both
    cases; the course's formgrader unit, and the hub's units.
Target (issue 23): a course adds under 10 % to a student's server start and
memory. All traffic goes to 127.0.0.1; every wait has a timeout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from containers import Container  # noqa: E402
from engine import RELEASES, ensure_dockerd, ensure_image  # noqa: E402
from installed import ADMIN, ADMIN_PASSWORD, SOURCE_IN_CONTAINER, InstalledHub, copy_checkout  # noqa: E402
import report  # noqa: E402
from servers import IDLE_SETTLE_SECONDS, Stack, memory_mib, one_student, stop_all  # noqa: E402

PLUGIN = f"{SOURCE_IN_CONTAINER}/plugins/tljh-lite-courses"
COURSE = "data101"
TARGET = 0.10


def timed(action) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def servers(stack: Stack, names: list[str]) -> tuple[float, float]:
    """(median seconds from login to JupyterLab, median MiB of an idle server), each a new student."""
    seconds = [one_student(stack, name) for name in names]
    time.sleep(IDLE_SETTLE_SECONDS)  # idle: logged in, JupyterLab loaded, nobody typing
    memory = statistics.median(memory_mib(stack, stack.unit_of(name)) for name in names)
    stop_all(stack, names)
    return statistics.median(seconds), memory


def measure(image: str, runs: int) -> dict[str, float]:
    out: dict[str, float] = {}
    container = Container.start(image, port=80)
    try:
        container.wait_for_systemd()
        copy_checkout(container)
        hub = InstalledHub(container, "", 0)
        admin = ("--admin", f"{ADMIN}:{ADMIN_PASSWORD}")
        out["install"] = timed(lambda: hub.bootstrap(*admin))
        out["rerun"] = timed(lambda: hub.bootstrap(*admin))
        out["rerun_plugin"] = timed(lambda: hub.bootstrap(*admin, "--plugin", PLUGIN))
        plain = [f"plain{i}" for i in range(runs)]
        enrolled = [f"enrolled{i}" for i in range(runs)]
        for name in plain + enrolled:
            hub.tljh_config("add-item", "users.allowed", name)
        hub.tljh_config("reload")
        stack = Stack("tljh-lite", container, hub.url, "student-password", ["jupyterhub", "configurable-http-proxy"],
                      lambda n: f"jupyter-{n}")
        out["start_plain"], out["idle_plain"] = servers(stack, plain)
        out["hub_plain"] = sum(memory_mib(stack, u) for u in stack.hub_units)
        out["course_create"] = timed(lambda: hub.sh(["tljh-lite", "course", "create", COURSE, "--instructor", ADMIN],
                                                    timeout=1200))
        for name in enrolled:
            hub.sh(["tljh-lite", "course", "add", COURSE, name])
        out["start_course"], out["idle_course"] = servers(stack, enrolled)
        out["hub_course"] = sum(memory_mib(stack, u) for u in stack.hub_units)
        out["formgrader"] = memory_mib(stack, f"tljh-formgrader-{COURSE}.service")
    finally:
        container.remove()
    return out


def table(release: str, runs: int, r: dict[str, float]) -> list[str]:
    def more(ours: float, base: float) -> str:
        return f"{(ours - base) / base:+.0%}"

    start_ok = (r["start_course"] - r["start_plain"]) / r["start_plain"] < TARGET
    memory_ok = (r["idle_course"] - r["idle_plain"]) / r["idle_plain"] < TARGET
    rows = [
        ("install: bootstrap (s)", r["install"], "", "baseline"),
        ("bootstrap again, nothing changed (s)", r["rerun"], "", ""),
        ("bootstrap again with --plugin tljh-lite-courses (s)", r["rerun_plugin"], "", "no course yet"),
        ("tljh-lite course create (s)", r["course_create"], more(r["install"] + r["course_create"], r["install"]),
         "nbgrader installed, formgrader started; vs the install"),
        ("student: login to JupyterLab, no course (s, median)", r["start_plain"], "", "baseline"),
        ("student: login to JupyterLab, in a course (s, median)", r["start_course"],
         more(r["start_course"], r["start_plain"]), "met" if start_ok else "NOT met"),
        ("idle student server, no course (MiB, median)", r["idle_plain"], "", "baseline"),
        ("idle student server, in a course (MiB, median)", r["idle_course"], more(r["idle_course"], r["idle_plain"]),
         "met" if memory_ok else "NOT met"),
        ("hub + proxy units, no course (MiB)", r["hub_plain"], "", "baseline"),
        ("hub + proxy units, one course (MiB)", r["hub_course"], more(r["hub_course"], r["hub_plain"]), ""),
        ("the course's formgrader unit (MiB)", r["formgrader"], "", "one per course, idle"),
    ]
    title = (f"A course's cost, Debian {release} container, no memory limit, {runs} students per case, "
             f"target: < {TARGET:.0%} more per student server (start and memory)")
    return [title, ""] + report.table(["what", "figure", "vs baseline", "note"], rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", default="bookworm", choices=RELEASES)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    ensure_dockerd()
    results = measure(ensure_image(args.release), args.runs)
    report.emit(table(args.release, args.runs, results), args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
