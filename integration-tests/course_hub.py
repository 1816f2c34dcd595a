"""Two courses on the session's plugin hub, made once with the professor's commands (conftest's
`courses` fixture), for every module that needs a course: test_courses.py (the cycle, what each
person sees, the probes), test_backup.py (a restore on a new machine keeps them), test_lms.py
(launches from the LMS into data101) and test_wild_plugins.py (a re-run of bootstrap keeps them).

The first course installs nbgrader, so what the hub was like before (no nbgrader, no /srv/nbgrader,
no courses) is looked at first and kept in `Courses.before`, for test_courses.py to assert on
whichever module made them. Modules run in file order: test_backup.py (grades a submission in
data102) comes before test_courses.py, whose last test removes data102.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from containers import ExecResult
from hubclient import HubClient
from installed import ADMIN, InstalledHub

STUDENTS = {"ada": "ada-first-password", "ben": "ben-first-password"}
STAFF = {"ta1": "ta1-first-password", "ines": "ines-first-password"}  # grader of data101, instructor of data102
COURSE = "/srv/nbgrader/courses/data101"
INBOUND = "/srv/nbgrader/exchange/data101/inbound"


def cell(kind: str, source: str, grade_id: str, *, grade: bool, solution: bool, points: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    body = {"cell_type": kind, "id": grade_id, "metadata": {"nbgrader": meta}, "source": source}
    if kind == "code":
        body.update(execution_count=None, outputs=[])
    return body


# An autograded answer (its solution stripped at release), a test cell with hidden tests (stripped too),
# and an answer graded by hand: 2 + 1 points.
SOURCE_NOTEBOOK = {
    "cells": [
        cell("code", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", "square",
             grade=False, solution=True),
        cell("code", "assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(3) == 9\n### END HIDDEN TESTS",
             "test_square", grade=True, solution=False, points=2),
        cell("markdown", "Explain your answer.", "explain_q", grade=False, solution=False),
        cell("markdown", "YOUR ANSWER HERE", "explain", grade=True, solution=True, points=1),
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@dataclass
class Courses:
    hub: InstalledHub
    before: dict[str, object]  # what the hub was like before its first course
    created: ExecResult  # `course create data101 ...`, the first: it installed nbgrader
    again: ExecResult  # the same create a second time
    added: list[ExecResult]  # `course add` of ada, ben to data101 and ada to data102


def course_cmd(hub: InstalledHub, *args: str, check: bool = True) -> ExecResult:
    return hub.sh(["tljh-lite", "course", *args], check=check, timeout=600)


def grades_csv(hub: InstalledHub, course: str = "data101") -> str:
    return course_cmd(hub, "grades", course, "--csv", "-").stdout


def make_courses(hub: InstalledHub) -> Courses:
    """data101 (instructor: the admin, grader ta1, students ada and ben) and data102 (instructor ines,
    student ada), the two ways docs/courses.md gives: data102 as keys of config.yaml (`tljh-config`),
    data101 in one command, whose reload makes both (one hub restart for the two). The people are
    users of the hub first (config.yaml only: that reload makes them known to the hub too)."""
    before = {
        "nbgrader installed": hub.sh("test -e /opt/tljh/user/bin/nbgrader", check=False).exit_code == 0,
        "/srv/nbgrader exists": hub.sh("test -e /srv/nbgrader", check=False).exit_code == 0,
        "help": hub.sh("tljh-lite --help").stdout,
        "list": course_cmd(hub, "list").stdout,
    }
    lines = [f"tljh-config add-item users.allowed {name}" for name in (*STUDENTS, *STAFF)]
    lines += ["tljh-config set courses.data102.title 'Data 102'", "tljh-config add-item courses.data102.instructors ines"]
    hub.sh(" && ".join(lines))
    created = course_cmd(hub, "create", "data101", "--instructor", ADMIN, "--grader", "ta1", "--title", "Data 101")
    again = course_cmd(hub, "create", "data101", "--instructor", ADMIN, check=False)
    added = [course_cmd(hub, "add", course, name) for name, course in (("ada", "data101"), ("ben", "data101"),
                                                                       ("ada", "data102"))]
    return Courses(hub, before, created, again, added)


def server_api(client: HubClient, method: str, path: str, **kwargs):
    """A call to the client's own server, as JupyterLab makes it (xsrf header)."""
    prefix = f"/user/{client.username}/"
    headers = {"X-XSRFToken": client._server_headers()["X-XSRFToken"]}
    return client.session.request(method, client.url(f"{prefix}{path}"), headers=headers, timeout=300, **kwargs)


def formgrader(client: HubClient, course: str, path: str = "formgrader", method: str = "GET", **kwargs):
    url = client.url(f"services/{course}/{path}")
    response = client.session.request(method, url, timeout=120, **kwargs) if method == "GET" else None
    if method != "GET":
        client.session.get(client.url(f"services/{course}/formgrader"), timeout=120)  # the service's _xsrf cookie
        headers = {"X-XSRFToken": client._xsrf(f"/services/{course}/")}
        response = client.session.request(method, url, headers=headers, timeout=120, **kwargs)
    return response


def formgrader_action(client: HubClient, path: str, course: str = "data101") -> str:
    """A formgrader button (Generate, Release, Collect, Autograde, Feedback): its log, once it succeeded."""
    response = formgrader(client, course, f"formgrader/api/{path}", method="POST")
    assert response.status_code == 200, response.text[:300]
    result = response.json()
    assert result["success"], result
    return result.get("log", "")


def make_and_release(client: HubClient, course: str, name: str, notebook: dict) -> None:
    """What the formgrader's Manage Assignments page does: add the assignment, write its notebook (in the
    formgrader's own Jupyter), generate the students' version, release it."""
    assert formgrader(client, course, f"formgrader/api/assignment/{name}", method="PUT", json={}).status_code == 200
    written = formgrader(client, course, f"api/contents/source/{name}/{name}.ipynb", method="PUT",
                         json={"type": "notebook", "content": notebook})
    assert written.status_code in (200, 201), written.text[:300]
    formgrader_action(client, f"assignment/{name}/assign", course)
    formgrader_action(client, f"assignment/{name}/release", course)


def wait_for_formgrader(client: HubClient, course: str, timeout: float = 300) -> int:
    """The formgrader's answer to `client` once its unit serves (it starts in 10-30 s on a busy machine;
    503 until then, and 404 while the hub, starting, has not given the proxy its route yet)."""
    deadline = time.monotonic() + timeout
    while True:
        status = formgrader(client, course).status_code
        if status not in (404, 502, 503) or time.monotonic() > deadline:
            return status
        time.sleep(2)


# Her answer, put into the released notebook: right, so autograding gives the test cell's 2 points.
ANSWER = r'''
import json, os, sys
assignment, account = sys.argv[1], sys.argv[2]
nb = json.load(open(f"release/{assignment}/{assignment}.ipynb"))
for c in nb["cells"]:
    if c["metadata"].get("nbgrader", {}).get("grade_id") == "square":
        c["source"] = "def square(x):\n    return x * x"
folder = f"submitted/{account}/{assignment}"
os.makedirs(folder)
json.dump(nb, open(f"{folder}/{assignment}.ipynb", "w"))
open(f"{folder}/timestamp.txt", "w").write("2026-01-05 09:00:00.000000 UTC")
'''


def grade_one_submission(hub: InstalledHub, course: str, student: str, assignment: str) -> None:
    """One graded submission, made with the grader's own tools and no servers: SOURCE_NOTEBOOK
    generated as `assignment`, `student`'s right answer filed where `collect` files it, autograded
    (2 of 3 points: the hand-graded answer waits). For tests that need grades, not the cycle."""
    grader, root = f"grader-{course}", f"/srv/nbgrader/courses/{course}"
    as_grader = (f"runuser -u {grader} -- env HOME=/srv/nbgrader/graders/{grader} "
                 "PATH=/opt/tljh/user/bin:/usr/bin:/bin")
    # Not /tmp: Debian 13 mounts a tmpfs there, over what `write_file` puts in the container's tree.
    staged = "/srv/course-test-files"
    hub.container.write_file(f"{staged}/{assignment}.ipynb", json.dumps(SOURCE_NOTEBOOK))
    hub.container.write_file(f"{staged}/answer.py", ANSWER)
    hub.sh(f"cd {root} && {as_grader} mkdir -p source/{assignment} && "
           f"{as_grader} cp {staged}/{assignment}.ipynb source/{assignment}/ && "
           f"{as_grader} nbgrader db assignment add {assignment} && {as_grader} nbgrader generate_assignment {assignment} && "
           f"{as_grader} python3 {staged}/answer.py {assignment} jupyter-{student} && "
           f"{as_grader} nbgrader autograde {assignment} --student jupyter-{student}", timeout=300)
    hub.sh(f"rm -r {staged}")
