"""What a course costs (tljh-lite-courses, issue 23): install time, a student's server start, memory.

    sudo .venv-test/bin/python bench/courses.py [--release bookworm] [--runs 5] [--markdown FILE]

Two fresh systemd containers (integration harness, no memory limit, 2 cores):
  - "plain": tljh-lite installed with bootstrap, no plugin (the baseline);
  - "course": tljh-lite installed with bootstrap --plugin tljh-lite-courses,
    then `tljh-lite course create`, every student of it enrolled.
Figures, each next to its baseline from the same run:
  - install: bootstrap of each, and `tljh-lite course create` (nbgrader into
    the students' environment, the course's folders and formgrader, a hub
    restart);
  - a student's server, login form to the JupyterLab page through the proxy,
    a new student each run, the two hubs taking turns (so a busy moment of the
    machine falls on both alike); median of --runs;
  - memory: each idle student server (systemd MemoryCurrent, median), the
    hub's units, and the course's formgrader unit.
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


def installed(image: str, *plugins: str) -> tuple[InstalledHub, float]:
    container = Container.start(image, port=80)
    try:
        container.wait_for_systemd()
        copy_checkout(container)
        hub = InstalledHub(container, "", 0)
        flags = [flag for plugin in plugins for flag in ("--plugin", plugin)]
        return hub, timed(lambda: hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}", *flags))
    except BaseException:
        container.remove()
        raise


def stack_of(hub: InstalledHub, names: list[str]) -> Stack:
    for name in names:
        hub.tljh_config("add-item", "users.allowed", name)
    hub.tljh_config("reload")
    return Stack("tljh-lite", hub.container, hub.url, "student-password", ["jupyterhub", "configurable-http-proxy"],
                 lambda n: f"jupyter-{n}")


def measure(image: str, runs: int) -> dict[str, float]:
    out: dict[str, float] = {}
    hubs = []
    try:
        plain, out["install"] = installed(image)
        hubs.append(plain)
        course, out["install_plugin"] = installed(image, PLUGIN)
        hubs.append(course)
        out["course_create"] = timed(lambda: course.sh(["tljh-lite", "course", "create", COURSE, "--instructor", ADMIN],
                                                       timeout=1200))
        names = [f"student{i}" for i in range(runs)]
        stacks = {"plain": stack_of(plain, names), "course": stack_of(course, names)}
        for name in names:
            course.sh(["tljh-lite", "course", "add", COURSE, name])
        seconds: dict[str, list[float]] = {"plain": [], "course": []}
        for name in names:  # taking turns
            for kind, stack in stacks.items():
                seconds[kind].append(one_student(stack, name))
        time.sleep(IDLE_SETTLE_SECONDS)  # idle: logged in, JupyterLab loaded, nobody typing
        for kind, stack in stacks.items():
            out[f"start_{kind}"] = statistics.median(seconds[kind])
            out[f"idle_{kind}"] = statistics.median(memory_mib(stack, stack.unit_of(name)) for name in names)
            out[f"hub_{kind}"] = sum(memory_mib(stack, u) for u in stack.hub_units)
            stop_all(stack, names)
        out["formgrader"] = memory_mib(stacks["course"], f"tljh-formgrader-{COURSE}.service")
    finally:
        for hub in hubs:
            hub.container.remove()
    return out


def table(release: str, runs: int, r: dict[str, float]) -> list[str]:
    def more(ours: float, base: float) -> str:
        return f"{(ours - base) / base:+.0%}"

    start_ok = (r["start_course"] - r["start_plain"]) / r["start_plain"] < TARGET
    memory_ok = (r["idle_course"] - r["idle_plain"]) / r["idle_plain"] < TARGET
    rows = [
        ("install: bootstrap (s)", r["install"], "", "baseline"),
        ("install: bootstrap --plugin tljh-lite-courses (s)", r["install_plugin"], more(r["install_plugin"], r["install"]),
         "no course yet"),
        ("tljh-lite course create (s)", r["course_create"], more(r["install_plugin"] + r["course_create"], r["install"]),
         "nbgrader installed, formgrader started; with the install, vs the baseline"),
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
    title = (f"A course's cost, Debian {release} containers, no memory limit, {runs} students per case, "
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
