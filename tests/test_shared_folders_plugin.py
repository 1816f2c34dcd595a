"""The shared-folders plugin's pure parts: its config keys through tljh-lite's checker, the
permission plan, and links into a home. The folders themselves are tested for real in
integration-tests/test_shared_folders.py.

The plugin is imported from its folder (not installed), so this venv's plugin list is unchanged.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tljh_lite.config.defaults import DEFAULTS
from tljh_lite.config.rules import BUILT_IN_RULES
from tljh_lite.config.schema import build_schema
from tljh_lite.config.checker import Checker
from tljh_lite.errors import TljhError

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "plugins" / "tljh-lite-shared-folders"
sys.path.insert(0, str(PLUGIN_DIR))
try:
    import tljh_lite_shared_folders as plugin
    from tljh_lite_shared_folders import plan, system
finally:
    sys.path.remove(str(PLUGIN_DIR))


@pytest.fixture
def checker() -> Checker:
    return Checker(
        build_schema(plugin.tljh_lite_config_schema()),
        BUILT_IN_RULES,
        {**DEFAULTS, **plugin.tljh_lite_config_defaults()},
    )


def folders_config(**sections) -> dict:
    return {"shared_folders": sections}


VALID = [
    {},
    folders_config(),
    folders_config(course={"path": "/srv/course"}),
    folders_config(course={"path": "/data/classes/math 101", "link_name": "Math 101"}),
    folders_config(scratch={"enabled": False}),
    folders_config(course={"link_name": "course-files"}, scratch={"path": "/srv/shared", "link_name": "shared"}),
    folders_config(course={"path": "/home/shared/course"}),
]

INVALID = [
    (folders_config(course={"path": "relative"}), "shared_folders.course.path must be an absolute folder path"),
    (folders_config(course={"path": "srv/course"}), "not 'srv/course'"),
    (folders_config(course={"path": "/"}), "shared_folders.course.path must be an absolute folder path"),
    (folders_config(course={"path": "/etc"}), "not a system folder"),
    (folders_config(course={"path": "/etc/course"}), "not a system folder"),
    (folders_config(course={"path": "/usr/share/x"}), "not a system folder"),
    (folders_config(scratch={"path": "/tmp/scratch"}), "shared_folders.scratch.path must be"),
    (folders_config(scratch={"path": "/opt/tljh/state"}), "shared_folders.scratch.path must be"),
    (folders_config(scratch={"path": "/home"}), "shared_folders.scratch.path must be"),
    (folders_config(scratch={"path": "/srv"}), "shared_folders.scratch.path must be"),
    (folders_config(scratch={"path": "/home/jupyter-alice"}), "a student's home"),
    (folders_config(scratch={"path": "/home/jupyter-alice/x"}), "a student's home"),
    (folders_config(course={"path": "/srv/course/"}), "not ending in '/'"),
    (folders_config(course={"path": "/srv//course"}), "shared_folders.course.path must be"),
    (folders_config(course={"path": "/srv/../etc"}), "shared_folders.course.path must be"),
    (folders_config(course={"path": "/srv/course\n"}), "shared_folders.course.path must be"),
    (folders_config(course={"path": 5}), "shared_folders.course.path must be"),
    (folders_config(course={"link_name": "a/b"}), "shared_folders.course.link_name must be a plain file name"),
    (folders_config(course={"link_name": ".course"}), "not starting with '.'"),
    (folders_config(course={"link_name": ".."}), "shared_folders.course.link_name must be"),
    (folders_config(course={"link_name": ""}), "shared_folders.course.link_name must be"),
    (folders_config(scratch={"enabled": "yes"}), "shared_folders.scratch.enabled must be true or false"),
    (folders_config(course={"pth": "/srv/x"}), "unknown key shared_folders.course.pth; did you mean shared_folders.course.path?"),
    (folders_config(homework={}), "unknown key shared_folders.homework"),
]


@pytest.mark.parametrize("config", VALID)
def test_valid_configs_pass(checker, config):
    assert checker.problems(config) == []


@pytest.mark.parametrize("config, words", INVALID)
def test_invalid_configs_are_refused_with_the_key_and_what_it_takes(checker, config, words):
    problems = checker.problems(config)
    assert problems, f"{config} was accepted"
    message = problems[0].as_error().one_line()
    assert words in message
    assert "\n" not in message


def test_defaults_are_what_the_readme_says(checker):
    merged = checker.merged({})["shared_folders"]
    assert merged == {
        "course": {"enabled": True, "path": "/srv/course", "link_name": "course"},
        "scratch": {"enabled": True, "path": "/srv/scratch", "link_name": "scratch"},
    }
    assert checker.merged(folders_config(course={"path": "/data/c"}))["shared_folders"]["course"] == {
        "enabled": True, "path": "/data/c", "link_name": "course",
    }


def test_the_defaults_hook_returns_a_fresh_copy():
    plugin.tljh_lite_config_defaults()["shared_folders"]["course"]["path"] = "/mutated"
    assert plan.DEFAULTS["shared_folders"]["course"]["path"] == "/srv/course"


def test_the_readme_names_every_key():
    readme = (PLUGIN_DIR / "README.md").read_text()
    for kind in ("course", "scratch"):
        for key in ("enabled", "path", "link_name"):
            assert f"shared_folders.{kind}.{key}" in readme


def test_plan_of_the_defaults(checker):
    course, scratch = plan.plan(checker.merged({}))
    assert (course.path, course.link_name, course.group, course.owner, course.mode) == (
        "/srv/course", "course", "jupyterhub-admins", "root", 0o2770,
    )
    assert (scratch.path, scratch.link_name, scratch.group, scratch.mode) == (
        "/srv/scratch", "scratch", "jupyterhub-users", 0o2770,
    )
    # Students read the course and write nothing there; instructors (the owning group) write.
    assert "group::rwx" in course.acl and "group:jupyterhub-users:r-x" in course.acl
    assert "group:jupyterhub-users:rwx" not in course.acl
    assert "group:jupyterhub-users:rwx" in scratch.acl
    for folder in (course, scratch):
        # Every access entry is also a default entry, so new files and folders inherit it.
        access = [e for e in folder.acl if not e.startswith("default:")]
        assert [e for e in folder.acl if e.startswith("default:")] == [f"default:{e}" for e in access]
        # The mask lets group entries through, and nobody outside the groups gets anything.
        assert "mask::rwx" in access and "other::---" in access


def test_a_disabled_folder_is_not_planned(checker):
    folders = plan.plan(checker.merged(folders_config(scratch={"enabled": False})))
    assert [f.key for f in folders] == ["course"]
    assert plan.plan(checker.merged(folders_config(course={"enabled": False}, scratch={"enabled": False}))) == []


@pytest.mark.parametrize(
    "sections, words",
    [
        ({"course": {"link_name": "shared"}, "scratch": {"link_name": "shared"}}, "are both 'shared'"),
        ({"course": {"path": "/srv/x"}, "scratch": {"path": "/srv/x"}}, "overlap"),
        ({"course": {"path": "/srv/x"}, "scratch": {"path": "/srv/x/scratch"}}, "overlap"),
        ({"course": {"path": "/srv/x/course"}, "scratch": {"path": "/srv/x"}}, "overlap"),
    ],
)
def test_folders_that_cannot_work_together_are_a_clear_error(checker, sections, words):
    config = checker.merged(folders_config(**sections))
    assert checker.problems(config) == []  # the schema cannot see this: the plan does
    with pytest.raises(TljhError, match=words):
        plan.plan(config)


def test_neighbouring_paths_do_not_overlap(checker):
    config = checker.merged(folders_config(course={"path": "/srv/x"}, scratch={"path": "/srv/xy"}))
    assert len(plan.plan(config)) == 2


def test_the_plan_checks_paths_itself_for_a_config_nobody_validated():
    with pytest.raises(TljhError, match="shared_folders.course.path must be"):
        plan.plan({"shared_folders": {"course": {"path": "/etc"}}})
    with pytest.raises(TljhError, match="link_name must be"):
        plan.plan({"shared_folders": {"scratch": {"link_name": "../x"}}})


def test_getfacl_output_is_compared_as_entries():
    text = (
        "# file: /srv/course\n# owner: root\n# group: jupyterhub-admins\n# flags: -s-\n"
        "user::rwx\ngroup::rwx\ngroup:jupyterhub-users:r-x\nmask::rwx\nother::---\n"
        "default:user::rwx\ndefault:group::rwx\ndefault:group:jupyterhub-users:r-x\n"
        "default:mask::rwx\ndefault:other::---\n\n"
    )
    assert plan.parse_getfacl(text) == set(plan.course_acl())
    assert plan.parse_getfacl("user::rwx\ngroup::r-x\nother::r-x\n") != set(plan.course_acl())


def test_setfacl_replaces_access_and_default_acl_in_one_command(checker):
    course = plan.plan(checker.merged({}))[0]
    argv = plan.setfacl_command(course)
    assert argv[:3] == ["setfacl", "--physical", "--set"]
    assert argv[3].split(",") == list(course.acl) and argv[4] == "/srv/course"


# Links, in a temporary home owned by whoever runs the tests.

def _link(home: Path, name: str = "course", target: str = "/srv/course"):
    return system.ensure_link(home, name, target, os.getuid(), os.getgid())


def test_a_link_is_created_then_left_alone(tmp_path):
    assert _link(tmp_path).outcome == "created"
    assert os.readlink(tmp_path / "course") == "/srv/course"
    assert os.lstat(tmp_path / "course").st_uid == os.getuid()
    before = os.lstat(tmp_path / "course")
    assert _link(tmp_path).outcome == "ok"
    assert os.lstat(tmp_path / "course").st_ino == before.st_ino
    assert sorted(os.listdir(tmp_path)) == ["course"]  # no temporary file left


def test_a_link_to_another_path_is_replaced(tmp_path):
    (tmp_path / "course").symlink_to("/srv/old-course")
    assert _link(tmp_path).outcome == "replaced"
    assert os.readlink(tmp_path / "course") == "/srv/course"
    assert sorted(os.listdir(tmp_path)) == ["course"]


def test_a_students_own_file_or_folder_is_never_replaced(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "mine.ipynb").write_text("{}")
    (tmp_path / "scratch").write_text("my notes")
    assert _link(tmp_path).outcome.startswith("skipped")
    assert _link(tmp_path, "scratch", "/srv/scratch").outcome.startswith("skipped")
    assert (tmp_path / "course" / "mine.ipynb").read_text() == "{}"
    assert (tmp_path / "scratch").read_text() == "my notes"


def test_a_dangling_link_is_fine(tmp_path):
    # The folder may be created later (or its disk mounted later): the link still goes in.
    assert _link(tmp_path, target="/nonexistent/course").outcome == "created"
    assert (tmp_path / "course").is_symlink()
