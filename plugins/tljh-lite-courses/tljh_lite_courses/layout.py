"""Owners, groups and modes of every folder a course has (pure). system.py makes them so.

Where nbgrader's default exchange is one world-writable folder (1777) with
world-readable course folders in it, here each course is closed to everyone
outside it, and inside it nbgrader's own modes apply:

| folder | owner:group | mode | who gets in |
| --- | --- | --- | --- |
| /srv/nbgrader, exchange, courses, graders | root:root | 0711 | anyone may pass, no one may list (course names stay private) |
| exchange/<c> | grader:nbgrader-<c> | 0750 | the course's people only (students, instructors, graders) |
| exchange/<c>/outbound | grader:formgrade-<c> | 2775 | staff write releases; the course's students read them |
| exchange/<c>/inbound | grader:formgrade-<c> | 2773 | students create submissions but cannot list them (nbgrader's 0733, group-readable for staff) |
| exchange/<c>/feedback | grader:formgrade-<c> | 2771 | students open their own feedback by its secret name, cannot list |
| courses/<c> | grader:formgrade-<c> | 2770 | staff only: source (solutions, hidden tests), submissions, gradebook |
| graders/grader-<c> | grader:grader | 0700 | the grader account's home (its formgrader's settings) |
| archive | root:root | 0700 | removed courses, kept for backups |

setgid (2...): what staff or the formgrader create inside takes the folder's group,
so a second instructor can change what the first made (nbgrader's `groupshared`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .model import ARCHIVE, BASE, COURSES, EXCHANGE, GRADERS, Course


@dataclass(frozen=True)
class Folder:
    path: Path
    owner: str
    group: str
    mode: int


def shared_folders() -> list[Folder]:
    """The folders every course shares, outermost first."""
    return [Folder(path, "root", "root", 0o711) for path in (BASE, EXCHANGE, COURSES, GRADERS)] + [
        Folder(ARCHIVE, "root", "root", 0o700)]


def course_folders(course: Course) -> list[Folder]:
    """A course's folders, outermost first."""
    grader, staff = course.grader_account, course.staff_group
    return [
        Folder(course.exchange, grader, course.students_group, 0o750),
        Folder(course.exchange / "outbound", grader, staff, 0o2775),
        Folder(course.exchange / "inbound", grader, staff, 0o2773),
        Folder(course.exchange / "feedback", grader, staff, 0o2771),
        Folder(course.root, grader, staff, 0o2770),
        Folder(course.grader_home, grader, grader, 0o700),
    ]
