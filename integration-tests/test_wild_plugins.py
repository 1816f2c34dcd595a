"""Plugins written for TLJH the way public ones are (integration-tests/plugins/),
installed with --plugin into `plugin_hub`: a key of their own in config.yaml,
TLJH's helper modules, a folder linked from /etc/skel, and tljh.conda failing
in one line. The re-run of bootstrap at the end also keeps the session's
nbgrader course data101 (course_hub.py; test_courses.py graded it) as it was."""

from __future__ import annotations

import json

from course_hub import COURSE, grades_csv
from installed import ADMIN, ADMIN_PASSWORD, SOURCE_IN_CONTAINER

STUDENT, PASSWORD = "erin", "erin-first-password"
SHARED, LINK = "/srv/shared_folders", "shared_folders"


def test_the_simplest_plugins_own_key_is_kept_and_listed_as_its_own(plugin_hub):
    assert "Installation successful" in plugin_hub.install_output
    assert "tljh_config_set_by_simplest_plugin: true" in plugin_hub.tljh_config("show").stdout
    listing = plugin_hub.tljh_config("plugins").stdout
    assert "tljh_simplest  (tljh-simplest 0.1.0)" in listing
    assert "unchecked config keys owned by this plugin: Test" in listing
    assert "tljh_shared_directory  (tljh-shared-directory 0.1.0)" in listing
    plugin_hub.tljh_config("validate")


def test_tljh_helper_modules_worked_in_the_plugins_post_install(plugin_hub):
    """tljh.config, tljh.configurer.load_config and tljh.systemd, from a real install."""
    seen = json.loads(plugin_hub.sh("cat /opt/tljh/simplest-plugin.json").stdout)
    assert seen == {"Test": {"tljh_config_set_by_simplest_plugin": True}, "hub_active": True}


def test_a_key_no_plugin_owns_is_still_refused(plugin_hub):
    result = plugin_hub.tljh_config("set", "Tset.x", "1", check=False)
    assert result.exit_code == 1 and "unknown key Tset.x" in result.stderr
    typo = plugin_hub.tljh_config("set", "limits.memroy", "1G", check=False)
    assert typo.exit_code == 1 and "did you mean limits.memory?" in typo.stderr


def test_set_and_reload_work_with_the_plugin_owned_key_present(plugin_hub):
    before = plugin_hub.tljh_config("get", "limits.memory").stdout.strip()
    try:
        plugin_hub.tljh_config("set", "limits.memory", "1G")
        plugin_hub.tljh_config("reload")
        assert plugin_hub.tljh_config("get", "limits.memory").stdout.strip() == "1G"
        assert "tljh_config_set_by_simplest_plugin: true" in plugin_hub.tljh_config("show").stdout
        assert plugin_hub.client().api_version()
    finally:
        if before in ("", "None", "null", "none"):
            plugin_hub.tljh_config("unset", "limits.memory")
        else:
            plugin_hub.tljh_config("set", "limits.memory", before)
        plugin_hub.tljh_config("reload")


def test_a_new_student_gets_the_skel_link_and_writes_in_the_shared_folder(plugin_hub):
    mode = plugin_hub.sh(f"stat -c '%a %U:%G' {SHARED}").stdout.strip()
    assert mode == "2777 root:jupyterhub-users"
    plugin_hub.tljh_config("add-item", "users.allowed", STUDENT)
    plugin_hub.tljh_config("reload")
    client = plugin_hub.client()
    assert client.login(STUDENT, PASSWORD)
    client.start_server()
    home = f"/home/jupyter-{STUDENT}"
    assert plugin_hub.sh(f"readlink {home}/{LINK}").stdout.strip() == SHARED  # copied from /etc/skel
    written = client.run_code(
        f"import pathlib; p = pathlib.Path.home() / '{LINK}' / 'from-{STUDENT}.txt'; "
        "p.write_text('hi'); print(p.resolve())"
    )
    assert written == f"{SHARED}/from-{STUDENT}.txt"
    owner = plugin_hub.sh(f"stat -c '%U' {SHARED}/from-{STUDENT}.txt").stdout.strip()
    assert owner == f"jupyter-{STUDENT}"


def test_a_plugin_importing_tljh_conda_fails_in_one_line_and_the_hub_keeps_running(plugin_hub):
    plugin = f"{SOURCE_IN_CONTAINER}/integration-tests/plugins/tljh-needs-conda"
    hub_pid = plugin_hub.unit_property("jupyterhub", "MainPID")
    try:
        result, _ = plugin_hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}", "--plugin", plugin, check=False)
        assert result.exit_code == 1
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
        assert "plugin 'tljh_needs_conda' (tljh-needs-conda 0.1.0) imports tljh.conda" in errors[0]
        assert "tljh_extra_user_pip_packages" in errors[0]
        assert plugin_hub.unit_property("jupyterhub", "MainPID") == hub_pid
        assert plugin_hub.client().api_version()
    finally:
        plugin_hub.sh("/opt/tljh/hub/bin/uv pip uninstall --python /opt/tljh/hub/bin/python3 tljh-needs-conda")


def test_a_rerun_without_plugin_flags_keeps_the_wild_plugins_and_their_key_and_the_courses(plugin_hub, courses):
    """An upgrade is a bootstrap re-run: the plugins and their keys stay, and nothing of a course is
    rewritten: its gradebook and submissions are as they were, its formgrader keeps running."""
    unit = "tljh-formgrader-data101.service"
    submissions = f"find {COURSE}/submitted -type f -printf '%p %u %g %m\\n' | sort; sha256sum {COURSE}/gradebook.db"
    pid, grades, submitted = plugin_hub.unit_property(unit, "MainPID"), grades_csv(plugin_hub), plugin_hub.sh(submissions)
    result, _ = plugin_hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}")
    assert "Installation successful" in result.stdout
    listing = plugin_hub.tljh_config("plugins").stdout
    assert "tljh_simplest" in listing and "tljh_shared_directory" in listing
    assert "unchecked config keys owned by this plugin: Test" in listing
    assert "tljh_config_set_by_simplest_plugin: true" in plugin_hub.tljh_config("show").stdout
    assert plugin_hub.sh(f"readlink /etc/skel/{LINK}").stdout.strip() == SHARED
    assert "tljh_lite_reconcile: tljh_lite_courses done" in result.stdout
    assert plugin_hub.unit_property(unit, "MainPID") == pid  # nothing it reads changed: not restarted
    assert grades_csv(plugin_hub) == grades
    assert plugin_hub.sh(submissions).stdout == submitted.stdout
