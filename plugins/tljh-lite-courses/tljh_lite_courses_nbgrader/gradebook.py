"""A course's gradebook and inbound folder as JSON, for `tljh-lite course grades|list`.

    python -m tljh_lite_courses_nbgrader.gradebook COURSE_FOLDER EXCHANGE_FOLDER

Run as the course's grader account (tljh-lite does, with runuser): the
gradebook is its SQLite file, which root must not open (a journal left by
root would lock the formgrader out). Prints

    {"assignments": [{"name", "duedate", "max_score"}],
     "scores": {student id: {assignment: {"score", "late"}}},
     "waiting": {assignment: submissions not collected yet}}
"""

from __future__ import annotations

import json
import os
import sys

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc


def read(course_folder: str, exchange_folder: str) -> dict:
    db = os.path.join(course_folder, "gradebook.db")
    result: dict = {"assignments": [], "scores": {}, "waiting": {}}
    if os.path.exists(db) and os.path.getsize(db) > 0:  # empty: made by tljh-lite, no nbgrader command ran yet
        with Gradebook(f"sqlite:///{db}") as gb:
            for assignment in gb.assignments:
                result["assignments"].append({"name": assignment.name, "max_score": assignment.max_score,
                                              "duedate": assignment.duedate.isoformat() if assignment.duedate else None})
                for student in gb.students:
                    try:
                        submission = gb.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        continue
                    result["scores"].setdefault(student.id, {})[assignment.name] = {
                        "score": submission.score, "late": bool(submission.total_seconds_late)}
    result["waiting"] = waiting(course_folder, os.path.join(exchange_folder, "inbound"))
    return result


def waiting(course_folder: str, inbound: str) -> dict[str, int]:
    """Per assignment: students whose latest submission is newer than what was collected."""
    latest: dict[tuple[str, str], object] = {}
    try:
        names = os.listdir(inbound)
    except OSError:
        return {}
    for name in names:
        parts = name.rsplit("+", 3)
        if len(parts) < 3:
            continue
        try:
            when = parse_utc(parts[2])
        except Exception:
            continue
        key = (parts[0], parts[1])
        if key not in latest or when > latest[key]:
            latest[key] = when
    counts: dict[str, int] = {}
    for (student, assignment), when in latest.items():
        stamp = os.path.join(course_folder, "submitted", student, assignment, "timestamp.txt")
        try:
            with open(stamp) as f:
                if parse_utc(f.read().strip()) >= when:
                    continue
        except (OSError, ValueError):
            pass
        counts[assignment] = counts.get(assignment, 0) + 1
    return counts


if __name__ == "__main__":
    json.dump(read(sys.argv[1], sys.argv[2]), sys.stdout)
