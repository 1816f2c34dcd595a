"""What a course is, computed from config.yaml (pure: no I/O).

    courses:
      data101:
        title: Data science 101
        instructors: [prof]
        graders: [ta1]
        lms_contexts: ["4711"]  # optional: LMS courses whose launches put people in (lms.py)
    groups:
      data101:
        users: [ada, ben]       # the students: a group of config.yaml, so the roster's groups column fills it

Names derived from a course's name, as nbgrader's JupyterHub guide names them:
- `grader-data101`: the unix account that owns the course folder and runs the formgrader;
- `formgrade-data101`: JupyterHub group and unix group of instructors and graders
  (who may open the formgrader, and write the course folder);
- `nbgrader-data101`: JupyterHub group of students (nbgrader's JupyterHubAuthPlugin shows a
  student the courses of her `nbgrader-*` groups), and unix group of everyone in the course
  (who may enter the course's exchange);
- the formgrader is the JupyterHub service named `data101` (nbgrader's course list finds it so),
  run by the systemd unit `tljh-formgrader-data101.service`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from tljh_lite.config.schema import USERNAME_LIST
from tljh_lite.errors import TljhError

SECTION = "courses"
# nbgrader's course id, a JupyterHub service name, and inside unix group names of at most 32
# characters ("formgrade-" + 22): lowercase letters, digits and '_', a letter first.
NAME_PATTERN = r"^[a-z][a-z0-9_]{1,21}\Z"
NAME_EXPECTED = "a course name: 2-22 lowercase letters, digits or '_', starting with a letter (like data101)"
# JupyterHub services tljh-lite runs: a course may not take their names.
RESERVED = frozenset({"usage", "hub", "user", "services", "formgrader", "nbgrader"})
ROLES = ("student", "instructor", "grader")

NBGRADER = "nbgrader==0.9.6"  # the newest; works with JupyterLab 4 and Notebook 7 (its requirements)
BASE = Path("/srv/nbgrader")
EXCHANGE = BASE / "exchange"
COURSES = BASE / "courses"
GRADERS = BASE / "graders"
ARCHIVE = BASE / "archive"
UNIT_PREFIX = "tljh-formgrader-"
FIRST_PORT = 15100  # formgraders listen on loopback from here, one port per course (ports.py has 15001-15004)


def config_schema() -> dict[str, dict]:
    course = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "x-expected": "the course's title, as text"},
            "instructors": USERNAME_LIST,
            "graders": USERNAME_LIST,
            # The LMS courses a launch comes from that put her into this one (lms.py).
            "lms_contexts": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True,
                             "x-expected": "a list of LMS course ids (the context id of an LTI launch)"},
        },
        "additionalProperties": False,
    }
    return {
        SECTION: {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN, "x-expected": NAME_EXPECTED},
            "additionalProperties": course,
            "x-expected": "a mapping of course names to their title, instructors and graders",
        }
    }


DEFAULTS: dict[str, Any] = {SECTION: {}}


class CourseError(TljhError):
    pass


@dataclass(frozen=True)
class Course:
    name: str
    title: str
    instructors: tuple[str, ...]
    graders: tuple[str, ...]
    students: tuple[str, ...]
    port: int
    lms_contexts: tuple[str, ...] = ()  # the LMS courses whose launches put people into this one (lms.py)

    @property
    def grader_account(self) -> str:
        return f"grader-{self.name}"

    @property
    def staff_group(self) -> str:
        """Hub and unix group: instructors and graders (they open the formgrader and write the course)."""
        return f"formgrade-{self.name}"

    @property
    def students_group(self) -> str:
        """Hub group: the students (nbgrader's); unix group: everyone in the course (enters the exchange)."""
        return f"nbgrader-{self.name}"

    @property
    def staff(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.instructors + self.graders))

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.staff + self.students))

    @property
    def unit(self) -> str:
        """The systemd unit that runs the course's formgrader (units.py)."""
        return f"{UNIT_PREFIX}{self.name}.service"

    @property
    def root(self) -> Path:
        """The course folder (nbgrader's CourseDirectory.root): source, release, submitted, gradebook."""
        return COURSES / self.name

    @property
    def exchange(self) -> Path:
        return EXCHANGE / self.name

    @property
    def grader_home(self) -> Path:
        return GRADERS / self.grader_account

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def check_name(name: str) -> str:
    if not re.search(NAME_PATTERN, name):
        raise CourseError(f"{name!r} is not {NAME_EXPECTED}", "choose another name, e.g. data101")
    if name in RESERVED:
        raise CourseError(f"{name!r} is a name the hub uses already", "choose another name, e.g. data101")
    return name


def courses(config: Mapping[str, Any]) -> list[Course]:
    """The courses of a merged config, sorted by name (which gives each its formgrader's port)."""
    section = config.get(SECTION) or {}
    groups = config.get("groups") or {}
    found = []
    for index, name in enumerate(sorted(section)):
        spec = section[name] or {}
        students = tuple(str(s).lower() for s in (groups.get(name) or {}).get("users") or [])
        found.append(Course(
            name=name,
            title=str(spec.get("title") or name),
            instructors=tuple(str(s).lower() for s in spec.get("instructors") or []),
            graders=tuple(str(s).lower() for s in spec.get("graders") or []),
            students=students,
            port=FIRST_PORT + index,
            lms_contexts=tuple(str(c) for c in spec.get("lms_contexts") or []),
        ))
    return found


def course(config: Mapping[str, Any], name: str) -> Course:
    for found in courses(config):
        if found.name == name:
            return found
    names = ", ".join(c.name for c in courses(config)) or "none yet"
    raise CourseError(f"there is no course {name!r} (courses: {names})",
                      "see them with: sudo tljh-lite course list")


def roles_of(course: Course, name: str) -> list[str]:
    """The roles `name` has in `course` (instructor, grader, student)."""
    name = name.lower()
    return [role for role, people in (("instructor", course.instructors), ("grader", course.graders),
                                      ("student", course.students)) if name in people]
