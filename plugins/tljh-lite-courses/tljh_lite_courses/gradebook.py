"""A course's gradebook, read as its grader account, and the grades as one CSV row per student.

nbgrader knows students by their unix account (`jupyter-ada`: what a submission's
owner is called); the professor knows them by their hub name (`ada`). Rows are
by hub name: every student of the course, and anyone else the gradebook has
(a student removed from the course keeps her grades).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from tljh_lite.files import atomic_write
from tljh_lite.paths import Paths
from tljh_lite.runner import Runner
from tljh_lite.unixname import PREFIX, unix_username

from .model import Course


@dataclass
class Gradebook:
    assignments: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # account -> assignment -> score
    waiting: dict[str, int] = field(default_factory=dict)


def read(runner: Runner, paths: Paths, course: Course) -> Gradebook:
    """Run tljh_lite_courses_nbgrader.gradebook as the grader, in the students' environment (nbgrader
    runs its `alembic` from PATH when it first fills a gradebook)."""
    user_bin = paths.user_venv / "bin"
    result = runner.run(
        ["runuser", "-u", course.grader_account, "--", "env", f"PATH={user_bin}:/usr/bin:/bin", str(user_bin / "python3"),
         "-m", "tljh_lite_courses_nbgrader.gradebook", str(course.root), str(course.exchange)],
        quiet=True, hint=f"the gradebook of {course.name} could not be read",
    )
    data = json.loads(result.stdout)
    return Gradebook(data["assignments"], data["scores"], data["waiting"])


def hub_names(course: Course, accounts: list[str]) -> dict[str, str]:
    """{unix account: hub name} for the course's people and the gradebook's accounts."""
    names = {unix_username(person): person for person in course.members}
    for account in accounts:
        names.setdefault(account, account.removeprefix(PREFIX))  # long names are cut: shown as they are
    return names


def rows(course: Course, book: Gradebook) -> list[dict[str, str]]:
    """One row per student: her score in each assignment (empty: not submitted), total, max, late ones."""
    names = hub_names(course, list(book.scores))
    accounts = {unix_username(s): s for s in course.students}
    for account in book.scores:
        accounts.setdefault(account, names[account])
    out = []
    for account, name in sorted(accounts.items(), key=lambda item: item[1]):
        scores = book.scores.get(account, {})
        row = {"student": name, "account": account}
        total = 0.0
        for assignment in book.assignments:
            got = scores.get(assignment["name"])
            row[assignment["name"]] = _number(got["score"]) if got else ""
            total += got["score"] if got else 0.0
        row["total"] = _number(total)
        row["max"] = _number(sum(a["max_score"] for a in book.assignments))
        row["late"] = ";".join(a for a, s in sorted(scores.items()) if s["late"])
        out.append(row)
    return out


def csv_text(course: Course, book: Gradebook) -> str:
    columns = ["student", "account", *[a["name"] for a in book.assignments], "total", "max", "late"]
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(course, book))
    return text.getvalue()


def write_csv(path: Path, course: Course, book: Gradebook) -> int:
    """The CSV written atomically, private (grades are personal data); the number of students."""
    text = csv_text(course, book)
    atomic_write(path, text, 0o600)
    return text.count("\n") - 1


def _number(value: float) -> str:
    return f"{value:g}"


def summary(course: Course, book: Gradebook) -> Mapping[str, Any]:
    return {"assignments": [a["name"] for a in book.assignments], "waiting": sum(book.waiting.values())}
