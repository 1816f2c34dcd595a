"""What `tljh-lite course ...` does to the machine: create, change who is in, remove (archive).

Each checks everything first (one line and nothing changed on bad input),
then writes config.yaml (atomic, locked, validated) and reloads the hub: the
reload's `tljh_lite_reconcile` (apply_all) makes the machine match (system.py),
and the hub's groups, roles and formgrader services follow.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable

from tljh_lite.config.file import ConfigFile
from tljh_lite.paths import Paths
from tljh_lite.ports import wait_for_port
from tljh_lite.runner import Runner

from . import membership, system
from .model import ARCHIVE, Course, CourseError, check_name, course, courses

log = logging.getLogger("tljh_lite")
FORMGRADER_TIMEOUT = 180  # it imports nbgrader and JupyterLab: 10-30 s on a busy 2-core machine


def users_of(config) -> set[str]:
    users = config["users"]
    return {name.lower() for name in (*users["allowed"], *users["admin"])}


def check_people(config, people: list[str], what: str) -> None:
    known = users_of(config)
    for person in people:
        if person.lower() not in known:
            raise CourseError(f"{what} {person!r} is not a user of this hub",
                              f"add her first: sudo tljh-config add-item users.allowed {person.lower()}")


def create(paths: Paths, checker, runner: Runner, name: str, instructors: list[str], graders: list[str],
           title: str | None, reload: Callable[[], object], say: Callable[[str], None]) -> Course:
    """Everything checked first; nbgrader installed (the slow part, before the hub is touched); then
    config.yaml, and the reload, whose tljh_lite_reconcile makes the course on the machine."""
    check_name(name)
    file = ConfigFile(paths.config_file)
    current = file.load()
    checker.check(current)
    merged = checker.merged(current)
    new = membership.create_course(current, name, instructors, graders, title)  # exists already: one line
    check_people(merged, instructors, "the instructor")
    check_people(merged, graders, "the grader")
    checker.check(new)
    if system.ensure_nbgrader(runner, paths):
        say(f"Installed nbgrader into the students' environment ({paths.user_venv})")

    def change(config):
        return membership.create_course(config, name, instructors, graders, title)

    file.update(change)
    reload()
    made = course(checker.merged(file.load()), name)
    say(f"Waiting for the formgrader of {name} to answer...")
    if not wait_for_port(made.port, FORMGRADER_TIMEOUT):
        raise CourseError(f"the course {name} is made, but its formgrader did not answer within "
                          f"{FORMGRADER_TIMEOUT} s", f"see why: sudo journalctl -u {made.unit} -n 50")
    return made


def change_membership(paths: Paths, checker, name: str, person: str, role: str | None,
                      adding: bool) -> tuple[bool, str | None]:
    """config.yaml changed, then her JupyterHub groups now (no hub restart). Returns (config changed,
    why her hub groups wait for the hub's next start, or None)."""
    file = ConfigFile(paths.config_file)
    merged = checker.merged(file.load())
    course(merged, name)
    if adding:
        check_people(merged, [person], f"the {role}")

    def change(config):
        new = (membership.add_person(config, name, person, role) if adding
               else membership.drop_person(config, name, person, role))
        if new is not config:
            checker.check(new)
        return new

    if not file.update(change):
        return False, None
    return True, membership.sync_hub_groups(paths, checker.merged(file.load()), name, person)


def remove(paths: Paths, checker, runner: Runner, name: str, reload: Callable[[], object]) -> Path:
    """The course leaves the hub (config.yaml, then the reload stops its formgrader); its folder
    (gradebook, submissions) and exchange go to the archive, which every backup holds. Returns the
    archive folder."""
    file = ConfigFile(paths.config_file)
    gone = course(checker.merged(file.load()), name)
    file.update(lambda config: membership.remove_course(config, name))
    reload()
    resync_routes(paths, checker.merged(file.load()))  # the proxy forgets /services/<name>/ now, not within a minute
    system.ensure_folder(next(f for f in system.shared_folders() if f.path == ARCHIVE))
    archive = ARCHIVE / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    archive.mkdir(mode=0o700)
    for source, target in ((gone.root, archive / "course"), (gone.exchange, archive / "exchange")):
        if source.exists():
            os.rename(source, target)  # same filesystem: one step, nothing half moved
    return archive


def resync_routes(paths: Paths, config) -> None:
    """The hub makes the proxy's routes match its users and services at once (tljh_lite.proxysync)."""
    from tljh_lite.proxysync import resync, token_file

    try:
        log.info("%s", resync(config["base_url"], token_file(paths).read_text().strip()))
    except OSError as e:  # no token: the hub does it within a minute anyway
        log.warning("the proxy's routes were not synced now: %s", e)


def apply_all(paths: Paths, runner: Runner, config) -> list[str]:
    """The machine made to match the courses of a merged config (tljh_lite_reconcile: every install and
    reload): nbgrader, each course's accounts, folders and formgrader; removed courses' formgraders stopped."""
    changed = []
    found = courses(config)
    if found:
        system.ensure_nbgrader(runner, paths)
        changed += [str(p) for p in system.ensure_environment_config(paths)]
    for each in found:
        changed += system.ensure_course(runner, paths, each, config)
    changed += system.retire_formgraders(runner, paths, keep={c.name for c in found})
    return changed
