"""The courses plugin's pure parts: its config keys through tljh-lite's checker, who is in a course,
what the hub gets, the folders' modes, the grades CSV, and bad input on `tljh-lite course`.
The machine side (accounts, folders, nbgrader, formgraders) is tested for real in
integration-tests/test_courses.py.

The plugin is imported from its folder (not installed), so this venv's plugin list is unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fakes import FakeEntryPoint
from tljh_lite.config.checker import config_checker
from tljh_lite.errors import ConfigError, TljhError
from tljh_lite.plugins import per_plugin, plugin_manager

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "plugins" / "tljh-lite-courses"
sys.path.insert(0, str(PLUGIN_DIR))
try:
    from tljh_lite_courses import gradebook, hubaccess, layout, lms, membership, model, nbconfig, plugin
finally:
    sys.path.remove(str(PLUGIN_DIR))



@pytest.fixture
def checker():
    return config_checker(plugin_manager([FakeEntryPoint("tljh_lite_courses", plugin)]))


def two_courses(checker):
    config = {"users": {"allowed": ["ada", "ben", "ta1", "ines"], "admin": ["prof"]}}
    config = membership.create_course(config, "data101", ["prof"], ["ta1"], "Data 101")
    config = membership.create_course(config, "data102", ["ines"])
    for name, course in (("ada", "data101"), ("ben", "data101"), ("ada", "data102")):
        config = membership.add_person(config, course, name, "student")
    checker.check(config)
    return checker.merged(config)


def test_courses_are_config_keys_checked_like_built_in_ones(checker):
    assert checker.merged({})["courses"] == {}
    assert checker.problems({"courses": {"data101": {"instructors": ["prof"], "graders": []}}}) == []
    with pytest.raises(ConfigError, match="courses has a key 'Data-101' that is not a course name"):
        checker.check({"courses": {"Data-101": {}}})
    with pytest.raises(ConfigError, match="did you mean courses.data101.instructors"):
        checker.check({"courses": {"data101": {"instructor": ["prof"]}}})


def test_a_course_is_its_instructors_graders_and_the_group_of_its_name(checker):
    data101, data102 = model.courses(two_courses(checker))
    assert (data101.instructors, data101.graders, data101.students) == (("prof",), ("ta1",), ("ada", "ben"))
    assert (data101.grader_account, data101.staff_group, data101.students_group) == (
        "grader-data101", "formgrade-data101", "nbgrader-data101")
    assert data101.port == 15100 and data102.port == 15101 and data102.students == ("ada",)
    assert model.roles_of(data101, "ADA") == ["student"] and model.roles_of(data102, "ben") == []


@pytest.mark.parametrize("name, words", [
    ("Data101", "is not a course name"), ("d", "is not a course name"), ("data-101", "is not a course name"),
    ("a" * 23, "is not a course name"), ("usage", "a name the hub uses already"),
])
def test_a_bad_course_name_is_one_line(name, words):
    with pytest.raises(TljhError, match=words) as raised:
        membership.create_course({}, name, ["prof"])
    assert "\n" not in raised.value.one_line()


def test_a_second_create_and_a_course_without_instructor_are_refused():
    config = membership.create_course({}, "data101", ["prof"])
    with pytest.raises(TljhError, match="the course data101 exists already"):
        membership.create_course(config, "data101", ["prof"])
    with pytest.raises(TljhError, match="needs an instructor"):
        membership.create_course({}, "data102", [])


def test_edits_never_mutate_and_change_nothing_twice(checker):
    config = membership.create_course({}, "data101", ["prof"])
    before = repr(config)
    added = membership.add_person(config, "data101", "Ada", "student")
    assert repr(config) == before and added["groups"]["data101"]["users"] == ["ada"]
    assert membership.add_person(added, "data101", "ada", "student") is added
    dropped = membership.drop_person(added, "data101", "ada")
    assert dropped["groups"]["data101"]["users"] == [] and added["groups"]["data101"]["users"] == ["ada"]
    assert "data101" not in membership.remove_course(dropped, "data101").get("courses", {})


def test_enroll_writes_config_yaml_for_another_module(tmp_path, checker):
    from tljh_lite.config.file import ConfigFile
    from tljh_lite.paths import Paths

    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text("# mine\ncourses:\n  data101:\n    instructors: [prof]\n")
    assert membership.enroll(paths, "data101", "olu", "student", checker) is True
    assert membership.enroll(paths, "data101", "olu", "student", checker) is False
    assert membership.enroll(paths, "data101", "tom", "grader", checker) is True
    config = ConfigFile(paths.config_file).load()
    assert config["groups"]["data101"]["users"] == ["olu"] and config["courses"]["data101"]["graders"] == ["tom"]
    assert paths.config_file.read_text().startswith("# mine\n")
    with pytest.raises(TljhError, match="there is no course 'data999'"):
        membership.enroll(paths, "data999", "olu", "student", checker)
    assert membership.hub_groups(model.course(checker.merged(config), "data101"), "grader") == ["formgrade-data101"]


def test_a_persons_hub_groups_across_courses_are_what_an_auth_model_returns(checker):
    config = two_courses(checker)
    assert membership.hub_groups_of(config, "Ada") == ["nbgrader-data101", "nbgrader-data102"]
    assert membership.hub_groups_of(config, "ta1") == ["formgrade-data101"]
    assert membership.hub_groups_of(config, "ines") == ["formgrade-data102"]
    assert membership.hub_groups_of(config, "nobody") == []


TOKENS = {"data101": "token-101", "data102": "token-102", "tljh-courses": "token-membership"}


def test_the_hub_gets_one_formgrader_service_per_course_open_only_to_its_staff(checker):
    access = hubaccess.hub_access(two_courses(checker), TOKENS)
    services = {s["name"]: s for s in access["services"]}
    assert sorted(services) == ["data101", "data102", "tljh-courses"]
    # external services: their own units run them, the hub knows them by their tokens
    assert services["data101"]["url"] == "http://127.0.0.1:15100" and services["data101"]["api_token"] == "token-101"
    assert "command" not in services["data101"]
    # root's course add|drop change the courses' groups through the REST API, and nothing else
    assert services["tljh-courses"] == {"name": "tljh-courses", "api_token": "token-membership", "display": False}
    roles = {r["name"]: r for r in access["roles"]}
    assert roles["tljh-courses"]["services"] == ["tljh-courses"]
    assert roles["tljh-courses"]["scopes"] == ["groups!group=nbgrader-data101", "groups!group=formgrade-data101",
                                               "groups!group=nbgrader-data102", "groups!group=formgrade-data102"]
    assert roles["formgrade-data101"]["scopes"] == ["access:services!service=data101"]
    assert roles["formgrade-data101"]["groups"] == ["formgrade-data101"]
    assert "read:users:groups!user" in roles["server"]["scopes"]
    assert access["groups"] == {"nbgrader-data101": ["ada", "ben"], "formgrade-data101": ["prof", "ta1"],
                                "nbgrader-data102": ["ada"], "formgrade-data102": ["ines"]}
    assert access["unix_groups"]["nbgrader-data101"] == ["prof", "ta1", "ada", "ben"]
    assert hubaccess.hub_access(checker.merged({}), {}) == {}  # no course: nothing at all


def test_a_formgrader_unit_runs_as_the_grader_sandboxed_with_its_token_from_a_root_file(checker, tmp_path):
    from tljh_lite.paths import Paths

    from tljh_lite_courses import units

    config = two_courses(checker)
    config = {**config, "base_url": "/hub-of/"}
    data101 = model.courses(config)[0]
    text = units.formgrader_unit(data101).render(Paths(tmp_path), config)
    lines = text.splitlines()
    assert "User=grader-data101" in lines and "WorkingDirectory=/srv/nbgrader/courses/data101" in lines
    assert f"EnvironmentFile={tmp_path}/state/courses/data101.env" in lines
    assert f"ExecStart={tmp_path}/user/bin/jupyterhub-singleuser" in lines
    assert "Environment='JUPYTERHUB_SERVICE_PREFIX=/hub-of/services/data101/'" in lines
    assert "Environment='JUPYTERHUB_API_URL=http://127.0.0.1:15001/hub-of/hub/api'" in lines
    assert ("Environment='JUPYTERHUB_OAUTH_ACCESS_SCOPES=[\"access:services\",\"access:services!service=data101\"]'"
            in lines)
    assert ("ReadWritePaths=/srv/nbgrader/courses/data101 /srv/nbgrader/exchange/data101 "
            "/srv/nbgrader/graders/grader-data101") in lines
    for sandbox in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"):
        assert sandbox in lines
    assert "TOKEN" not in text.replace("EnvironmentFile", "")


def test_a_course_token_is_a_private_file_made_once(checker, tmp_path):
    from tljh_lite.paths import Paths

    from tljh_lite_courses import tokens

    paths = Paths(tmp_path)
    data101 = model.courses(two_courses(checker))[0]
    first = tokens.ensure_token(paths, data101.name)
    assert len(first) == 64 and tokens.ensure_token(paths, data101.name) == first
    path = tokens.token_file(paths, "data101")
    assert path.read_text() == f"JUPYTERHUB_API_TOKEN={first}\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(path.parent.stat().st_mode & 0o777) == "0o700"


def test_folders_close_each_course_to_everyone_outside_it(checker):
    data101 = model.courses(two_courses(checker))[0]
    folders = {str(f.path): (f.owner, f.group, oct(f.mode)) for f in layout.course_folders(data101)}
    assert folders["/srv/nbgrader/exchange/data101"] == ("grader-data101", "nbgrader-data101", "0o750")
    assert folders["/srv/nbgrader/exchange/data101/inbound"] == ("grader-data101", "formgrade-data101", "0o2773")
    assert folders["/srv/nbgrader/courses/data101"] == ("grader-data101", "formgrade-data101", "0o2770")
    assert all(f.mode & 0o007 in (0, 1) for f in layout.shared_folders())  # nobody lists course names


def test_nbgrader_config_texts():
    assert "c.Exchange.path_includes_course = True" in nbconfig.GLOBAL_NBGRADER_CONFIG
    assert "OwnerCheckedCollect" in nbconfig.GLOBAL_NBGRADER_CONFIG
    assert "c.Execute.kernel_manager_class = \"tljh_lite_courses_nbgrader.autograde.NoNewPrivilegesKernelManager\"" in (
        nbconfig.GLOBAL_NBGRADER_CONFIG)
    assert "tljh_lite_courses_nbgrader.auth.CourseAuthPlugin" in nbconfig.GLOBAL_NBGRADER_CONFIG
    compile(nbconfig.GLOBAL_NBGRADER_CONFIG, "nbgrader_config.py", "exec")
    assert '"nbgrader.server_extensions.formgrader": false' in nbconfig.SERVER_EXTENSIONS_OFF
    students = json.loads(nbconfig.SERVER_EXTENSIONS_OFF)["ServerApp"]["jpserver_extensions"]
    assert students["nbgrader.server_extensions.assignment_list"] is False and students[nbconfig.LAZY] is True
    grader = json.loads(nbconfig.grader_server_config(False))["ServerApp"]["jpserver_extensions"]
    assert grader[nbconfig.LAZY] is False and grader["nbgrader.server_extensions.formgrader"] is True
    assert '"nbgrader.server_extensions.formgrader": true' in nbconfig.grader_server_config(False)
    assert "xsrf_cookie_kwargs" in nbconfig.grader_server_config(True)
    assert "xsrf_cookie_kwargs" not in nbconfig.grader_server_config(False)


def test_grades_are_one_row_per_student_by_hub_name(checker):
    data101 = model.courses(two_courses(checker))[0]
    book = gradebook.Gradebook(
        assignments=[{"name": "ps1", "max_score": 3.0, "duedate": None}],
        scores={"jupyter-ada": {"ps1": {"score": 3.0, "late": False}},
                "jupyter-ben": {"ps1": {"score": 1.5, "late": True}},
                "jupyter-old": {"ps1": {"score": 2.0, "late": False}}},  # left the course: kept
    )
    assert gradebook.csv_text(data101, book).splitlines() == [
        "student,account,ps1,total,max,late",
        "ada,jupyter-ada,3,3,3,",
        "ben,jupyter-ben,1.5,1.5,3,ps1",
        "old,jupyter-old,2,2,3,",
    ]
    empty = gradebook.Gradebook(assignments=[{"name": "ps1", "max_score": 3.0, "duedate": None}])
    assert gradebook.csv_text(data101, empty).splitlines()[1] == "ada,jupyter-ada,,0,3,"


def test_enroll_sets_her_hub_groups_at_once_through_the_rest_api(checker, tmp_path, monkeypatch):
    """enroll (and course add|drop) need no hub restart: config.yaml, then POST/DELETE on the course's groups."""
    import http.server
    import json
    import threading

    from tljh_lite import ports
    from tljh_lite.paths import Paths

    from tljh_lite_courses import tokens

    seen = []

    class Hub(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.command, self.path, body["users"], self.headers["Authorization"]))
            self.send_response(200)
            self.end_headers()

        do_POST = do_DELETE = _answer

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(ports, "HUB_URL", f"http://127.0.0.1:{server.server_port}")
    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text("users:\n  allowed: [olu]\ncourses:\n  data101:\n    instructors: [prof]\n")
    try:
        assert membership.sync_hub_groups(paths, checker.merged({"courses": {"data101": {"instructors": ["prof"]}}}),
                                          "data101", "olu") == "the hub has not started since the course was made"
        token = tokens.ensure_token(paths, tokens.MEMBERSHIP)
        assert membership.enroll(paths, "data101", "Olu", "student", checker) is True
        assert seen == [("POST", "/hub/api/groups/nbgrader-data101/users", ["olu"], f"token {token}"),
                        ("DELETE", "/hub/api/groups/formgrade-data101/users", ["olu"], f"token {token}")]
        assert membership.enroll(paths, "data101", "olu", "student", checker) is False  # no change: no call
        assert len(seen) == 2
    finally:
        server.shutdown()


def test_tljh_config_edits_a_course_like_any_key(checker):
    """`tljh-config add-item courses.data101.instructors prof` makes a course by hand (reload reconciles it)."""
    from tljh_lite.config.editor import Editor

    editor = Editor(checker)
    assert editor.add_item({}, "courses.data101.instructors", "prof").config == {"courses": {"data101": {
        "instructors": ["prof"]}}}
    with pytest.raises(TljhError, match="courses has a key 'Data101' that is not a course name"):
        editor.add_item({}, "courses.Data101.instructors", "prof")


def test_a_rosters_groups_column_puts_students_into_a_course(checker):
    """`tljh-lite users import` with `data101` in a row's groups column: she is a student of data101."""
    from tljh_lite.users.plan import plan_import
    from tljh_lite.users.roster import parse_roster

    config = checker.merged(membership.create_course({"users": {"admin": ["prof"]}}, "data101", ["prof"]))
    roster = parse_roster(b"username,groups\nada,data101\nben,data101;lab\ncyd,lab\n", "roster.csv")
    new = checker.merged(plan_import(config, roster).apply(config))
    assert model.course(new, "data101").students == ("ada", "ben")
    assert hubaccess.hub_access(new, TOKENS)["groups"]["nbgrader-data101"] == ["ada", "ben"]


# --- a launch from the school's LMS (issue 24) ---------------------------------------------------

def launched_from(context_id):
    return {"context_id": context_id, "context_label": "A101", "context_title": "course A", "custom": {}}


def test_an_lms_course_maps_onto_the_course_whose_lms_contexts_list_it_and_only_so(checker):
    config = two_courses(checker)
    config["courses"]["data102"]["lms_contexts"] = ["4711", "data101"]
    checker.check(config)
    assert lms.course_for_context(config, launched_from("4711")).name == "data102"
    assert lms.course_for_context(config, launched_from("data101")).name == "data102"  # the mapping, not the name
    del config["courses"]["data102"]["lms_contexts"]
    # an LMS course named as ours (its id chosen by whoever made it) maps onto nothing
    for elsewhere in ("4711", "data101", "data102", "", None):
        assert lms.course_for_context(config, launched_from(elsewhere)) is None
    assert lms.course_for_context(config, {"context_id": None}) is None  # a link outside any LMS course


def test_lms_contexts_are_checked_like_any_key(checker):
    config = two_courses(checker)
    config["courses"]["data101"]["lms_contexts"] = "4711"
    with pytest.raises(ConfigError, match="courses.data101.lms_contexts"):
        checker.check(config)


@pytest.fixture
def hub_files(tmp_path, monkeypatch):
    """A hub's prefix with config.yaml (two courses, the first mapped from LMS course "A"), as the hook finds it,
    and this plugin as the installed one (the hook's checker loads the installed plugins)."""
    import tljh_lite.plugins
    from tljh_lite.paths import PREFIX_ENV_VAR, Paths

    pm = plugin_manager([FakeEntryPoint("tljh_lite_courses", plugin)])
    monkeypatch.setattr(tljh_lite.plugins, "plugin_manager", lambda *args, **kwargs: pm)

    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text("# the professor's\ncourses:\n  data101:\n    instructors: [prof]\n"
                                 "    lms_contexts: [A]\n  data102:\n    instructors: [ines]\n")
    monkeypatch.setenv(PREFIX_ENV_VAR, str(tmp_path))
    return paths


@pytest.mark.parametrize("roles, key, groups", [
    (["instructor"], ("courses", "data101", "instructors"), ["formgrade-data101"]),
    (["grader"], ("courses", "data101", "graders"), ["formgrade-data101"]),
    (["student"], ("groups", "data101", "users"), ["nbgrader-data101"]),
])
def test_a_launch_puts_her_into_the_mapped_course_with_her_role_and_returns_her_groups(hub_files, checker, roles,
                                                                                        key, groups):
    """Through the hook as the hub calls it (landing.ask_plugins), on her first launch: config.yaml
    has her role (no roster import), and the plan gives the authenticator her course groups."""
    from tljh_lite.auth.lti.claims import Launch
    from tljh_lite.auth.lti.landing import ask_plugins
    from tljh_lite.config.file import ConfigFile

    pm = plugin_manager([FakeEntryPoint("tljh_lite_courses", plugin)])
    plan, warnings = ask_plugins(pm, Launch("ivy", tuple(roles), context=launched_from("A")), "/")
    assert warnings == []
    assert plan.groups == tuple(groups) and plan.next_path is None  # a plain link: her server decides nothing here
    config = ConfigFile(hub_files.config_file).load()
    section = config
    for part in key:
        section = section[part]
    assert "ivy" in section
    assert hub_files.config_file.read_text().startswith("# the professor's\n")
    # a second launch changes nothing and still names her groups
    again, _ = ask_plugins(pm, Launch("ivy", tuple(roles), context=launched_from("A")), "/")
    assert again.groups == tuple(groups)


@pytest.mark.parametrize("roles, context_id", [(["student"], "B"), ([], "A"), (["student"], None)])
def test_a_launch_from_no_course_of_ours_or_without_a_course_role_changes_nothing(hub_files, roles, context_id,
                                                                                  caplog):
    from tljh_lite.auth.lti.claims import Launch
    from tljh_lite.auth.lti.landing import ask_plugins

    before = hub_files.config_file.read_bytes()
    pm = plugin_manager([FakeEntryPoint("tljh_lite_courses", plugin)])
    with caplog.at_level("INFO", logger="JupyterHub"):
        plan, warnings = ask_plugins(pm, Launch("ivy", tuple(roles), context=launched_from(context_id)), "/")
    assert plan is None and warnings == []
    assert hub_files.config_file.read_bytes() == before
    # the hub's journal names an LMS course no course here maps: how the professor learns its id
    assert ("from the LMS course 'B' (course A): no course here lists it in lms_contexts" in caplog.text) == (
        context_id == "B")


def test_a_launch_into_a_course_a_student_is_in_already_keeps_her_other_courses(hub_files, checker):
    from tljh_lite.config.file import ConfigFile

    membership.enroll(hub_files, "data102", "ada", "student", checker)
    answer = lms.enroll_from_launch(hub_files, "ada", ["student"], launched_from("A"), checker)
    assert answer == {"groups": ["nbgrader-data101", "nbgrader-data102"]}
    config = ConfigFile(hub_files.config_file).load()
    assert config["groups"]["data101"]["users"] == ["ada"] and config["groups"]["data102"]["users"] == ["ada"]
