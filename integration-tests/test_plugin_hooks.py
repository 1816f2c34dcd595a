"""Plugins installed with --plugin, from the outside: every hook of the test plugin
(written in TLJH's style) has its effect on the real machine and the running hub."""

from __future__ import annotations

from installed import ADMIN, ADMIN_PASSWORD

STUDENT, PASSWORD = "carol", "carol-first-password"


def test_both_plugins_were_installed_and_are_listed(plugin_hub):
    out = plugin_hub.install_output
    assert "Installing plugins:" in out and "Installation successful" in out
    listing = plugin_hub.tljh_config("plugins").stdout
    assert "tljh_lite_test_plugin  (tljh-lite-test-plugin 1.0.0)" in listing
    assert "tljh-lite-shared-folders" in listing
    assert "tljh_new_user_create" in listing


def test_conda_hooks_only_warn_naming_the_plugin(plugin_hub):
    """tljh_extra_user_conda_packages and tljh_extra_user_conda_channels."""
    out = plugin_hub.install_output
    assert "plugin tljh_lite_test_plugin asks for the conda package 'hypothetical-conda-only-package'" in out
    assert "conda channel 'conda-forge'" in out


def test_tljh_extra_apt_packages_are_installed(plugin_hub):
    assert plugin_hub.sh("dpkg-query -W -f='${Status}' sl").stdout == "install ok installed"


def test_tljh_extra_hub_pip_packages_go_to_the_hub_environment_only(plugin_hub):
    assert plugin_hub.sh("/opt/tljh/hub/bin/python3 -c 'import tomli_w'", check=False).exit_code == 0
    assert plugin_hub.sh("/opt/tljh/user/bin/python3 -c 'import tomli_w'", check=False).exit_code != 0


def test_tljh_custom_jupyterhub_config_reaches_the_running_hub(plugin_hub):
    login_page = plugin_hub.client().get("hub/login").text
    assert "Welcome from tljh-lite-test-plugin" in login_page


def test_tljh_config_post_install_changed_config_yaml(plugin_hub):
    assert "post_install_config: true" in plugin_hub.tljh_config("show").stdout
    assert plugin_hub.tljh_config("get", "test_plugin.greeting").stdout.strip() == "hello"  # plugin default
    bad = plugin_hub.tljh_config("set", "test_plugin.greting", "hi", check=False)
    assert bad.exit_code == 1 and "did you mean test_plugin.greeting?" in bad.stderr


def test_tljh_post_install_ran_after_the_hub_came_up(plugin_hub):
    assert plugin_hub.sh("cat /opt/tljh/test-plugin/post-install").stdout == "ran\n"


def test_tljh_lite_reconcile_runs_at_install_and_at_each_reload(plugin_hub):
    assert "tljh_lite_reconcile: tljh_lite_test_plugin done" in plugin_hub.install_output
    assert plugin_hub.sh("cat /opt/tljh/test-plugin/reconciled").stdout == "hello\n"
    plugin_hub.tljh_config("set", "test_plugin.greeting", "bonjour")
    try:
        plugin_hub.tljh_config("reload")
        assert plugin_hub.sh("cat /opt/tljh/test-plugin/reconciled").stdout == "bonjour\n"
    finally:
        plugin_hub.tljh_config("unset", "test_plugin.greeting")
        plugin_hub.tljh_config("reload")


def test_user_packages_and_tljh_new_user_create_for_a_new_student(plugin_hub):
    plugin_hub.tljh_config("add-item", "users.allowed", STUDENT)
    plugin_hub.tljh_config("reload")
    client = plugin_hub.client()
    assert client.login(STUDENT, PASSWORD)
    client.start_server()
    marker = plugin_hub.sh(f"cat /opt/tljh/test-plugin/new-user-jupyter-{STUDENT}").stdout
    assert marker == f"jupyter-{STUDENT}\n"
    # tljh_extra_user_pip_packages: importable in the student's own kernel
    assert client.run_code("import pyjokes; print(type(pyjokes.get_joke()).__name__)") == "str"


def test_a_rerun_without_plugin_flags_keeps_the_plugins(plugin_hub):
    result, _ = plugin_hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}")
    assert "Installation successful" in result.stdout
    assert "tljh_lite_test_plugin" in plugin_hub.tljh_config("plugins").stdout
    assert "Welcome from tljh-lite-test-plugin" in plugin_hub.client().get("hub/login").text


def test_a_plugin_that_cannot_be_installed_stops_the_install_naming_it(plugin_hub):
    hub_pid = plugin_hub.unit_property("jupyterhub", "MainPID")
    result, _ = plugin_hub.bootstrap("--plugin", "/srv/no-such-plugin", check=False)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "plugin /srv/no-such-plugin could not be installed" in errors[0], result.stderr
    assert plugin_hub.unit_property("jupyterhub", "MainPID") == hub_pid  # no service was touched


def test_a_plugin_that_cannot_be_imported_stops_the_install_naming_it(plugin_hub):
    broken = "/srv/broken-plugin"
    plugin_hub.container.write_file(
        f"{broken}/pyproject.toml",
        '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "broken-plugin"\nversion = "0.1"\n'
        '[project.entry-points.tljh]\nbroken = "broken_plugin"\n',
    )
    plugin_hub.container.write_file(f"{broken}/broken_plugin.py", "import no_such_module_anywhere\n")
    hub_pid = plugin_hub.unit_property("jupyterhub", "MainPID")
    try:
        result, _ = plugin_hub.bootstrap("--plugin", broken, check=False)
        assert result.exit_code == 1
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
        assert "plugin 'broken' (broken-plugin 0.1) could not be imported" in errors[0]
        assert "no_such_module_anywhere" in errors[0]
        assert plugin_hub.unit_property("jupyterhub", "MainPID") == hub_pid
    finally:
        plugin_hub.sh("/opt/tljh/hub/bin/uv pip uninstall --python /opt/tljh/hub/bin/python3 broken-plugin")


def test_the_progress_page_was_served_during_the_install_and_gave_way_to_the_hub(plugin_hub):
    assert plugin_hub.progress_page_seen
    assert plugin_hub.sh("systemctl is-active tljh-progress-page", check=False).stdout.strip() != "active"
    assert plugin_hub.client().api_version()
