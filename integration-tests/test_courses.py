"""Courses with nbgrader on a real hub, as people use them: the professor's commands, the
instructor's terminal and the formgrader's REST API, the students' Assignments tab (the nbgrader
server extension's REST API), and probes from a student's terminal.

Runs on the `plugin_hub` (tljh-lite-courses is installed there with --plugin, and costs nothing
until a course exists), with the session's two courses (the `courses` fixture, course_hub.py: made
once, by whichever module needs a course first). Tests run in file order; the accounts here (ada,
ben, ta1, ines) are deleted at the end, and data102 is removed by the last test (its formgrader
uses memory the later modules need); data101 stays for test_lms.py and test_wild_plugins.py.
A restore of these courses on a new machine is test_backup.py's; a re-run of bootstrap keeping
them, test_wild_plugins.py's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import time

import pytest
from playwright.sync_api import sync_playwright

from browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from course_hub import (
    COURSE, INBOUND, SOURCE_NOTEBOOK, STAFF, STUDENTS, course_cmd, formgrader, formgrader_action, make_and_release,
    server_api,
)
from hubclient import HubClient
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub


def terminal(client: HubClient, command: str, timeout: float = 300) -> str:
    return client.run_in_terminal(command, timeout=timeout)


def assignment_action(client: HubClient, action: str, course: str = "data101", assignment: str = "ps1"):
    """What the Assignments tab's Fetch / Submit / Fetch Feedback buttons send."""
    response = server_api(client, "POST", f"assignments/{action}",
                          data={"course_id": course, "assignment_id": assignment})
    assert response.status_code == 200, response.text
    assert response.json().get("success", True), response.text
    return response.json().get("value")


def answer(client: HubClient, code: str, text: str) -> None:
    """She edits the fetched notebook: her code and her explanation."""
    client.run_code(
        "import json\n"
        "p = 'data101/ps1/ps1.ipynb'\n"
        "nb = json.load(open(p))\n"
        "for c in nb['cells']:\n"
        "    gid = c['metadata'].get('nbgrader', {}).get('grade_id')\n"
        f"    if gid == 'square': c['source'] = {code!r}\n"
        f"    if gid == 'explain': c['source'] = {text!r}\n"
        "json.dump(nb, open(p, 'w'))\n"
    )


def logged_in(hub: InstalledHub, name: str, password: str, server: bool = True) -> HubClient:
    client = hub.client()
    assert client.login(name, password), f"{name} could not log in"
    if server:
        client.start_server()
        client.open_server()
    return client


@pytest.fixture(scope="module")
def school(courses):
    hub = courses.hub
    yield hub
    admin = hub.admin()
    for name in (*STUDENTS, *STAFF):
        admin.delete_user(name)
    # config.yaml only: the hub's next reload (the next module's) forgets them; they have no hub user now
    hub.sh("; ".join(f"tljh-config remove-item users.allowed {name}" for name in (*STUDENTS, *STAFF)), check=False)


def test_a_hub_without_courses_has_no_nbgrader_and_no_formgrader(courses):
    """As the hub was before the session's first course (course_hub.py looked)."""
    assert courses.before["nbgrader installed"] is False
    assert courses.before["/srv/nbgrader exists"] is False
    assert "course" in courses.before["help"]
    assert "No courses" in courses.before["list"]


@pytest.mark.parametrize("args, words", [
    (["create", "Data-103", "--instructor", "prof"], "'Data-103' is not a course name"),
    (["create", "data103", "--instructor", "nobody"], "the instructor 'nobody' is not a user of this hub"),
    (["create", "data103", "--instructor", "prof", "--grader", "ghost"], "the grader 'ghost' is not a user"),
])
def test_bad_input_is_one_line_and_changes_nothing(school, args, words):
    before = school.sh("sha256sum /opt/tljh/config/config.yaml").stdout
    result = course_cmd(school, *args, check=False)
    assert result.exit_code == 1
    assert words in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
    assert school.sh("sha256sum /opt/tljh/config/config.yaml").stdout == before
    assert school.sh("test -e /srv/nbgrader/courses/data103", check=False).exit_code == 1


def test_create_two_courses_in_one_command_each(school, courses):
    made = courses.created
    assert "Course data101 is ready" in made.stdout, made.stdout + made.stderr
    assert "Installed nbgrader" in made.stdout
    assert courses.again.exit_code == 1 and "the course data101 exists already" in courses.again.stderr
    assert all("is now a student" in added.stdout for added in courses.added)
    assert school.sh("/opt/tljh/user/bin/python3 -c 'import nbgrader; print(nbgrader.__version__)'").stdout.strip() == "0.9.6"
    stat = lambda path: school.sh(f"stat -c '%U %G %a' {path}").stdout.strip()  # noqa: E731
    assert stat(COURSE) == "grader-data101 formgrade-data101 2770"
    # what staff make in it by hand (umask 022) stays writable by the course's group, the formgrader's
    assert "default:group::rwx" in school.sh(f"getfacl -p {COURSE}").stdout
    assert stat(INBOUND) == "grader-data101 formgrade-data101 2773"
    assert stat("/srv/nbgrader/exchange/data101") == "grader-data101 nbgrader-data101 750"
    assert stat("/srv/nbgrader/exchange") == "root root 711"
    listing = course_cmd(school, "list").stdout
    assert "data101 (Data 101)" in listing and "students (2): ada, ben" in listing and "graders: ta1" in listing
    assert "(tljh-formgrader-data101.service: active)" in listing
    # each formgrader is a unit of its own, run as its grader, sandboxed; its token is root's only
    unit = "tljh-formgrader-data101.service"
    assert school.unit_property(unit, "ActiveState") == "active" and school.unit_property(unit, "User") == "grader-data101"
    assert school.unit_property(unit, "ProtectHome") == "yes" and school.unit_property(unit, "NoNewPrivileges") == "yes"
    assert stat("/opt/tljh/state/courses/data101.env") == "root root 600"


@pytest.fixture(scope="module")
def people(school):
    clients = {ADMIN: logged_in(school, ADMIN, ADMIN_PASSWORD)}
    for name, password in STUDENTS.items():
        clients[name] = logged_in(school, name, password)
    for name, password in STAFF.items():
        clients[name] = logged_in(school, name, password, server=False)
    yield clients
    stop_servers(clients, (ADMIN, *STUDENTS))


def stop_servers(clients: dict[str, HubClient], names) -> None:
    """Their servers stopped (the hub is limited to 900 MB, as a 1 GB VM: two formgraders and three
    servers fill most of it, so each server stops once no test needs it)."""
    for name in names:
        client = clients[name]
        client.session.delete(client.url(f"hub/api/users/{name}/server"),
                              headers={"X-XSRFToken": client._xsrf("/hub/")}, timeout=120)


# ben's answer: wrong (x + x passes the visible test, not the hidden one), and hostile: when it is
# autograded it notes who runs it, what it sees of the homes, and tries to become root.
BEN_HOSTILE_ANSWER = """\
def square(x):
    return x + x
import json, os, subprocess
def _homes():
    try:
        return sorted(os.listdir('/home'))
    except OSError as e:
        return type(e).__name__
_sudo = subprocess.run(['sudo', '-n', 'touch', '/root/autograded-as-root'], capture_output=True).returncode
_nnp = [l.split()[1] for l in open('/proc/self/status') if l.startswith('NoNewPrivs')][0]
json.dump({'uid': str(os.getuid()), 'sudo': 'refused' if _sudo else 'ran', 'homes': _homes(), 'no_new_privs': _nnp},
          open('probe.json', 'w'))
"""


def test_the_whole_cycle_from_release_to_grades(school, people):
    prof, ada, ben = people[ADMIN], people["ada"], people["ben"]
    # 1. The instructor writes the assignment in the course folder and releases it (her terminal).
    prof.run_code(f"import json, os\nos.makedirs('{COURSE}/source/ps1', exist_ok=True)\n"
                  f"json.dump({SOURCE_NOTEBOOK!r}, open('{COURSE}/source/ps1/ps1.ipynb', 'w'))")
    out = terminal(prof, f"cd {COURSE} && nbgrader db assignment add ps1 && nbgrader generate_assignment ps1 "
                         "&& nbgrader release_assignment ps1 2>&1 | tail -3")
    assert "Released as: data101 ps1" in out, out
    released = school.sh("cat /srv/nbgrader/exchange/data101/outbound/ps1/ps1.ipynb").stdout
    assert "NotImplementedError" in released and "x * x" not in released and "square(3)" not in released

    # 2. Students fetch it in the Assignments tab, work, submit; ada twice (the latest counts).
    for student in (ada, ben):
        listed = assignment_action(student, "fetch")
        assert [a["assignment_id"] for a in listed if a["status"] == "fetched"] == ["ps1"], listed
    answer(ada, "def square(x):\n    return x + x", "I am not sure yet")
    assignment_action(ada, "submit")
    answer(ada, "def square(x):\n    return x * x", "x times itself")
    time.sleep(1.1)
    assignment_action(ada, "submit")
    # The deadline passes; ben submits late, and wrong: x + x passes the visible test, not the hidden one.
    time.sleep(1.1)  # the due date is to the second: after ada's last submission
    due = school.sh("date -u '+%Y-%m-%d %H:%M:%S UTC'").stdout.strip()
    terminal(prof, f"cd {COURSE} && nbgrader db assignment add ps1 --duedate='{due}'")
    time.sleep(1.1)
    answer(ben, BEN_HOSTILE_ANSWER, "doubling")
    assignment_action(ben, "submit")
    assert "ps1: 2" in course_cmd(school, "list").stdout  # two students' submissions wait

    # 3. The instructor, in the formgrader: collect, autograde each (the hidden tests run), grade the manual cell.
    collected = formgrader_action(prof, "assignment/ps1/collect")
    assert "Collecting submission: jupyter-ada ps1" in collected and "Collecting submission: jupyter-ben ps1" in collected
    for student in ("jupyter-ada", "jupyter-ben"):
        formgrader_action(prof, f"submission/ps1/{student}/autograde")
    # ben's code ran as the grader account, in its unit: no home to see, no privileges to gain
    seen = json.loads(school.sh(f"cat {COURSE}/autograded/jupyter-ben/ps1/probe.json").stdout)
    assert seen == {"uid": school.sh("id -u grader-data101").stdout.strip(), "sudo": "refused", "homes": "PermissionError",
                    "no_new_privs": "1"}, seen
    # ... and when an instructor who is a hub admin (sudo without a password) autogrades in her own terminal
    out = terminal(prof, f"cd {COURSE} && nbgrader autograde ps1 --student jupyter-ben --force 2>&1 | tail -2")
    seen = json.loads(school.sh(f"cat {COURSE}/autograded/jupyter-ben/ps1/probe.json").stdout)
    assert seen["uid"] == school.sh("id -u jupyter-prof").stdout.strip(), out
    assert seen["sudo"] == "refused" and seen["no_new_privs"] == "1", seen
    assert school.sh("test -e /root/autograded-as-root", check=False).exit_code == 1
    notebooks = formgrader(prof, "data101", "formgrader/api/submitted_notebooks/ps1/ps1")
    assert notebooks.status_code == 200, notebooks.text[:300]
    for submission in notebooks.json():
        grades = formgrader(prof, "data101", f"formgrader/api/grades?submission_id={submission['id']}").json()
        (explain,) = [g for g in grades if g["name"] == "explain"]
        score = 1 if submission["student"] == "jupyter-ada" else 0
        put = formgrader(prof, "data101", f"formgrader/api/grade/{explain['id']}", method="PUT",
                         json={"manual_score": score})
        assert put.status_code == 200, put.text[:300]
    # ... and releases feedback, which students fetch.
    formgrader_action(prof, "assignment/ps1/generate_feedback")
    assert "Feedback released" in formgrader_action(prof, "assignment/ps1/release_feedback")
    for student in (ada, ben):
        assignment_action(student, "fetch_feedback")
        found = student.run_code("import glob; print(glob.glob('data101/ps1/feedback/*/ps1.html'))")
        assert "ps1.html" in found, found
    # her feedback shows the hidden test she was graded on (the page's text, without its highlighting markup)
    feedback = ada.run_code("import glob, html, re\n"
                            "page = open(glob.glob('data101/ps1/feedback/*/ps1.html')[0]).read()\n"
                            "print(html.unescape(re.sub('<[^>]+>', '', page)))")
    assert "assert square(3) == 9" in feedback

    # 4. The grades: one row per student, exact scores, the late one marked.
    result = school.sh("tljh-lite course grades data101 --csv /root/data101.csv")
    assert "2 students, 1 assignments" in result.stdout
    assert school.sh("stat -c %a /root/data101.csv").stdout.strip() == "600"
    rows = list(csv.DictReader(io.StringIO(school.sh("cat /root/data101.csv").stdout)))
    assert [(r["student"], r["ps1"], r["total"], r["max"], r["late"]) for r in rows] == [
        ("ada", "3", "3", "3", ""), ("ben", "0", "0", "3", "ps1")]
    stop_servers(people, [ADMIN])  # the instructor works in the formgrader from now on


def test_each_person_sees_only_their_courses(school, people):
    # ines, instructor of data102, makes an assignment of the same name in her course's formgrader (as its
    # Manage Assignments page does: add, write the notebook, generate, release), with no server of her own.
    other = json.loads(json.dumps(SOURCE_NOTEBOOK).replace("Explain your answer.", "Explain it for data102."))
    make_and_release(people["ines"], "data102", "ps1", other)

    courses = {name: sorted(c for c in server_api(people[name], "GET", "courses").json()["value"])
               for name in ("ada", "ben")}
    assert courses == {"ada": ["data101", "data102"], "ben": ["data101"]}
    listed = server_api(people["ada"], "GET", "assignments", params={"course_id": "data102"}).json()["value"]
    assert [(a["course_id"], a["assignment_id"], a["status"]) for a in listed] == [("data102", "ps1", "released")]
    listed = server_api(people["ben"], "GET", "assignments", params={"course_id": "data101"}).json()["value"]
    assert sorted((a["assignment_id"], a["status"]) for a in listed) == [("ps1", "fetched"), ("ps1", "submitted")]
    # same assignment name in the other course: allowed, and ben, who is not in it, sees nothing of it
    assert "data102" not in json.dumps(server_api(people["ben"], "GET", "assignments",
                                                  params={"course_id": "data102"}).json())


def test_formgraders_open_only_for_their_course_staff(school, people):
    assert formgrader(people[ADMIN], "data101").status_code == 200
    assert "Manage Assignments" in formgrader(people[ADMIN], "data101").text
    assert formgrader(people["ta1"], "data101").status_code == 200  # the grader of data101
    assert formgrader(people["ta1"], "data102").status_code == 403  # ... not of data102
    assert formgrader(people["ines"], "data101").status_code == 403  # instructor of data102: a plain user here
    assert formgrader(people["ines"], "data102").status_code == 200
    for student in ("ada", "ben"):
        assert formgrader(people[student], "data101").status_code == 403


def test_in_chromium_the_assignments_tab_lists_a_new_release_and_the_formgrader_opens(school, people, release):
    """A second assignment released; ada's JupyterLab (Nbgrader > Assignment List) offers it to fetch, and the
    grader's browser opens the formgrader's Manage Assignments page with both."""
    make_and_release(people[ADMIN], "data101", "ps2", SOURCE_NOTEBOOK)
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {name: ARTIFACTS / f"courses-{name}-{release}.png" for name in ("assignments", "formgrader")}
    with tempfile.TemporaryDirectory() as home, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={"HOME": home})
        try:
            page = browser_login(browser, school, "ada", STUDENTS["ada"], "user/ada/lab")
            page.wait_for_selector(".jp-LabShell", timeout=90_000)
            page.click("text=Nbgrader")
            page.click("text=Assignment List")
            released = page.locator("#released_assignments_list")
            released.locator("text=ps2").wait_for(timeout=60_000)
            released_text = released.inner_text()
            fetched_text = page.locator("#fetched_assignments_list").inner_text()
            page.screenshot(path=str(shots["assignments"]))

            page = browser_login(browser, school, "ta1", STAFF["ta1"], "services/data101/formgrader")
            page.wait_for_selector("text=Manage Assignments", timeout=90_000)
            page.locator("text=ps2").first.wait_for(timeout=60_000)
            formgrader_text = page.locator("body").inner_text()
            page.screenshot(path=str(shots["formgrader"]), full_page=True)
        finally:
            browser.close()
    assert "data101" in released_text and "ps2" in released_text and "Fetch" in released_text
    assert "ps1" in fetched_text and "ps2" not in fetched_text
    assert "ps1" in formgrader_text and "ps2" in formgrader_text and "data102" not in formgrader_text
    assert all(shot.stat().st_size > 10_000 for shot in shots.values())


def browser_login(browser, hub: InstalledHub, name: str, password: str, then: str):
    """A new browser context (its own cookies) logged in through the form, on page `then`."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(hub.url + f"hub/login?next=/{then}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"**/{then}**", timeout=90_000)
    return page


# --- what a student with a terminal cannot do ---------------------------------------------------

PROBE = (
    "import json, os, glob\n"
    "def attempt(f):\n"
    "    try:\n"
    "        r = f()\n"
    "        return 'allowed'\n"
    "    except OSError as e:\n"
    "        return type(e).__name__\n"
)


def test_a_student_cannot_list_or_read_submissions_sources_or_the_gradebook(school, people):
    code = PROBE + (
        "print(json.dumps({\n"
        f"  'list inbound': attempt(lambda: os.listdir('{INBOUND}')),\n"
        f"  'list collected': attempt(lambda: os.listdir('{COURSE}/submitted')),\n"
        f"  'read collected': attempt(lambda: open('{COURSE}/submitted/jupyter-ada/ps1/ps1.ipynb').read()),\n"
        f"  'read source': attempt(lambda: open('{COURSE}/source/ps1/ps1.ipynb').read()),\n"
        f"  'write gradebook': attempt(lambda: open('{COURSE}/gradebook.db', 'r+b')),\n"
        "  'list other course': attempt(lambda: os.listdir('/srv/nbgrader/exchange/data102/outbound')),\n"
        "  'list exchange': attempt(lambda: os.listdir('/srv/nbgrader/exchange')),\n"
        "}))"
    )
    seen = json.loads(people["ben"].run_code(code))
    assert seen == {key: "PermissionError" for key in seen}, seen


def test_a_submission_made_in_another_students_name_is_filed_under_its_maker(school, people):
    ben, prof = people["ben"], people[ADMIN]
    stamp = school.sh("date -u '+%Y-%m-%d %H:%M:%S.%6N UTC'").stdout.strip()
    # ben writes a folder named as ada's latest submission, with a link to the source (solutions) inside
    ben.run_code(
        "import os, shutil\n"
        f"d = '{INBOUND}/jupyter-ada+ps1+{stamp}+forged'\n"
        "os.mkdir(d); os.chmod(d, 0o777)\n"
        "shutil.copy('data101/ps1/ps1.ipynb', d + '/ps1.ipynb')\n"
        f"open(d + '/timestamp.txt', 'w').write('{stamp}')\n"
        f"os.symlink('{COURSE}/source/ps1/ps1.ipynb', d + '/solutions.ipynb')\n"
    )
    out = formgrader_action(prof, "assignment/ps1/collect")
    assert "made it: filed under jupyter-ben" in out, out
    assert "Not collecting" in out and "solutions.ipynb" in out
    # ada's collected submission is still hers; ben's now is the forged one, without the link
    assert school.sh(f"ls {COURSE}/submitted/jupyter-ben/ps1").stdout.split() == ["ps1.ipynb", "timestamp.txt"]
    assert "x * x" in school.sh(f"cat {COURSE}/submitted/jupyter-ada/ps1/ps1.ipynb").stdout


def test_a_student_removed_from_a_course_keeps_her_grades_but_gets_no_new_assignments(school, people):
    out = course_cmd(school, "drop", "data101", "ben").stdout
    assert "her submissions and grades are kept" in out
    groups = school.admin().get("hub/api/groups/nbgrader-data101").json()["users"]
    assert groups == ["ada"]
    courses = server_api(people["ben"], "GET", "courses").json()["value"]
    assert courses == []
    rows = list(csv.DictReader(io.StringIO(course_cmd(school, "grades", "data101", "--csv", "-").stdout)))
    assert [(r["student"], r["total"]) for r in rows] == [("ada", "3"), ("ben", "0")]


def test_remove_archives_the_course_and_its_gradebook(school, people):
    out = course_cmd(school, "remove", "data102").stdout
    archive = re.search(r"are in (\S+) ", out).group(1)
    assert archive.startswith("/srv/nbgrader/archive/data102-")
    assert school.sh(f"test -d {archive}/course && test -d {archive}/exchange", check=False).exit_code == 0
    assert "data102" not in course_cmd(school, "list").stdout
    assert formgrader(people["ines"], "data102").status_code == 404
