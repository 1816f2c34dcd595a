"""Who is in which course: pure edits of config.yaml, and `enroll`, the call other modules make.

Instructors and graders are `courses.<name>.instructors|graders`; students are the
config group of the course's name (`groups.<name>.users`), so a roster's groups
column, `tljh-config add-item groups.data101.users ada` and `tljh-lite course add`
all do the same. Every edit takes a config and returns a new one (the input is
never mutated), or the same object when nothing changes.

A change takes effect without restarting the hub: config.yaml is written (it is
what every hub start and server start reads), then the person's JupyterHub groups
are set at once through the hub's REST API (`sync_hub_groups`, with the
`tljh-courses` service's token); her account joins or leaves the course's unix
groups at her next server start (the spawner reads them from config.yaml then).

For another module (an LMS login, issue 24) that learns at login that a person is
in a course:

    from tljh_lite_courses.membership import enroll
    changed = enroll(paths, "data101", "ada", "student")   # config.yaml (atomic, locked) and the hub's groups

It calls the hub's REST API and waits for it: from inside the hub (an
authenticator's `authenticate`), run it in a thread, `await
asyncio.to_thread(enroll, ...)`, so the hub can answer. She sees the course in
her Assignments tab at once and fetches from it after her next server start (a
server started in the same login, after `enroll` returned, is that start).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from tljh_lite.config import tree
from tljh_lite.config.file import ConfigFile
from tljh_lite.paths import Paths

from .model import ROLES, SECTION, Course, CourseError, check_name, course, courses, roles_of

# Where each role lives in config.yaml, for a course named {name}.
ROLE_KEYS = {
    "instructor": (SECTION, "{name}", "instructors"),
    "grader": (SECTION, "{name}", "graders"),
    "student": ("groups", "{name}", "users"),
}


def _get(config: Mapping, path: list[str], default: Any) -> Any:
    value = tree.get_item(config, path)
    return default if value is tree.MISSING or value is None else value


def _key(role: str, name: str) -> list[str]:
    if role not in ROLE_KEYS:
        raise CourseError(f"{role!r} is not a role in a course", f"use one of {', '.join(ROLES)}")
    return [part.format(name=name) for part in ROLE_KEYS[role]]


def create_course(config: Mapping, name: str, instructors: Iterable[str], graders: Iterable[str] = (),
                  title: str | None = None) -> Any:
    """A new config with the course; its students' group is made empty unless it exists."""
    check_name(name)
    if name in _get(config, [SECTION], {}):
        raise CourseError(f"the course {name} exists already", f"see it with: sudo tljh-lite course list; add people "
                          f"with: sudo tljh-lite course add {name} NAME --role student")
    instructors = [n.lower() for n in instructors]
    if not instructors:
        raise CourseError(f"the course {name} needs an instructor", "add --instructor NAME")
    spec: dict[str, Any] = {"instructors": instructors, "graders": [n.lower() for n in graders]}
    if title:
        spec["title"] = title
    new = tree.set_item(config, [SECTION, name], spec)
    if _get(new, ["groups", name, "users"], None) is None:
        new = tree.set_item(new, ["groups", name, "users"], [])
    return new


def add_person(config: Mapping, name: str, person: str, role: str) -> Any:
    """`person` gets `role` in course `name` (the config itself if she has it already)."""
    key = _key(role, name)
    current = _get(config, key, [])
    if person.lower() in {str(p).lower() for p in current}:
        return config
    return tree.update_list(config, key, add=[person.lower()])


def drop_person(config: Mapping, name: str, person: str, role: str | None = None) -> Any:
    """`person` leaves course `name` (in `role`, or every role). Her submissions and grades stay where they are."""
    new = config
    for each in [role] if role else list(ROLE_KEYS):
        key = _key(each, name)
        current = _get(new, key, [])
        gone = [p for p in current if str(p).lower() == person.lower()]
        if gone:
            new = tree.update_list(new, key, remove=gone)
    return new


def remove_course(config: Mapping, name: str) -> Any:
    """The course leaves config.yaml (its students' group stays: it may serve other purposes)."""
    return tree.unset_item(config, [SECTION, name])


def hub_groups(course: Course, role: str) -> list[str]:
    """The JupyterHub groups a person with `role` is in (what nbgrader and the formgrader's role read)."""
    return [course.students_group] if role == "student" else [course.staff_group]


def hub_groups_of(config: Mapping, person: str) -> list[str]:
    """Every course JupyterHub group the merged `config` gives `person`, sorted: what an
    authenticator that manages groups returns in her auth model (an LMS launch, for a person the hub
    does not know yet, whom `sync_hub_groups` cannot reach)."""
    return sorted({group for found in courses(config) for role in roles_of(found, person)
                   for group in hub_groups(found, role)})


def sync_hub_groups(paths: Paths, config: Mapping, name: str, person: str) -> str | None:
    """`person` in exactly the JupyterHub groups of course `name` that the merged `config` gives her,
    now, through the hub's REST API. None when done; otherwise why not (the hub sets them at its next
    start anyway, from config.yaml): it is not running, or does not know her yet."""
    import requests

    from tljh_lite.ports import HUB_URL

    from .tokens import MEMBERSHIP, token_file

    found = course(config, name)
    person = person.lower()
    try:
        token = token_file(paths, MEMBERSHIP).read_text().strip().partition("=")[2]
    except FileNotFoundError:
        return "the hub has not started since the course was made"
    api = f"{HUB_URL}{config['base_url']}hub/api"
    members = {found.students_group: found.students, found.staff_group: found.staff}
    for group, people in members.items():
        method = "POST" if person in people else "DELETE"
        try:
            response = requests.request(method, f"{api}/groups/{group}/users", json={"users": [person]},
                                        headers={"Authorization": f"token {token}"}, timeout=30)
        except requests.RequestException as e:
            return f"the hub did not answer ({type(e).__name__})"
        if response.status_code == 404 or (response.status_code == 400 and method == "POST"):
            return f"the hub does not know {person} (or the group {group}) yet"
        if not response.ok:
            return f"the hub answered {response.status_code} for the group {group}"
    return None


def enroll(paths: Paths, name: str, person: str, role: str, checker=None) -> bool:
    """Put `person` into course `name` with `role`: config.yaml (atomic, locked, validated), then her
    JupyterHub groups at once (see the module's docstring); True if config.yaml changed.

    The course must exist (`course create` made it). Nothing restarts. Her groups not set now
    (the hub down, or she never logged in) are set at the hub's next start.
    """
    from tljh_lite.config.checker import config_checker

    checker = checker or config_checker(paths=paths)

    def change(config):
        course(checker.merged(config), name)  # a clear error for a course that does not exist
        new = add_person(config, name, person, role)
        if new is not config:
            checker.check(new)
        return new

    changed = ConfigFile(paths.config_file).update(change)
    if changed:
        sync_hub_groups(paths, checker.merged(ConfigFile(paths.config_file).load()), name, person)
    return changed
