"""TLJH's helper modules that public plugins import (tljh.user, .utils, .config,
.configurer, .systemd), each a thin layer over tljh-lite's own code, and
tljh.conda, which fails in one line."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

from fakes import FakeEntryPoint
from tljh import _runner
from tljh_lite.runner import Result
from tljh_lite.errors import ConfigError, TljhError
from tljh_lite.plugins import PluginError, plugin_manager


@pytest.fixture
def calls(monkeypatch):
    """Commands the tljh.* modules run, recorded; a command naming no-such-unit fails."""
    recorded = []

    def execute(self, argv, *, input, env, timeout):
        recorded.append(argv)
        failing = any(word == "no-such-unit" for word in argv)
        return Result(argv, 1 if failing else 0, "", "boom\n" if failing else "")

    monkeypatch.setattr(_runner.PluginRunner, "_execute", execute)
    return recorded


def fake_pwd(monkeypatch, home, existing=()):
    """getpwnam knows `existing`, and any account once useradd ran for it."""
    from tljh_lite.users import accounts

    created = set(existing)

    def getpwnam(name):
        if name not in created:
            raise KeyError(name)
        return types.SimpleNamespace(pw_dir=str(home))

    monkeypatch.setattr(accounts.pwd, "getpwnam", getpwnam)
    return created


def test_ensure_user_creates_the_account_from_skel_and_runs_new_user_hooks(calls, monkeypatch, tmp_path):
    import tljh.user
    import tljh.utils

    created = fake_pwd(monkeypatch, tmp_path)
    monkeypatch.setattr(
        _runner.PluginRunner, "_execute",
        lambda self, argv, **kw: (calls.append(argv), created.add(argv[-1]), Result(argv, 0, "", ""))[-1],
    )
    seen = []
    hook = types.SimpleNamespace(tljh_new_user_create=lambda username: seen.append(username))
    monkeypatch.setattr(tljh.utils, "get_plugin_manager", lambda: types.SimpleNamespace(hook=hook))
    tljh.user.ensure_user("jupyter-dana")
    assert calls == [["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", "jupyter-dana"]]
    assert seen == ["jupyter-dana"]
    assert (tmp_path.stat().st_mode & 0o777) == 0o700
    tljh.user.ensure_user("jupyter-dana")  # exists now: nothing run, no hook
    assert len(calls) == 1 and seen == ["jupyter-dana"]


def test_remove_user_keeps_the_home_and_ignores_a_missing_account(calls, monkeypatch, tmp_path):
    import tljh.user

    fake_pwd(monkeypatch, tmp_path, existing={"jupyter-old"})
    tljh.user.remove_user("jupyter-none")
    tljh.user.remove_user("jupyter-old")
    assert calls == [["userdel", "jupyter-old"]]


def test_group_functions_change_only_what_needs_changing(calls):
    import tljh.user

    tljh.user.ensure_group("root")  # exists
    tljh.user.ensure_group("tljh-lite-no-such-group")
    tljh.user.ensure_user_group("tljh-lite-nobody", "root")
    tljh.user.remove_user_group("tljh-lite-nobody", "root")  # not a member: nothing
    assert calls == [
        ["groupadd", "--force", "tljh-lite-no-such-group"],
        ["gpasswd", "--add", "tljh-lite-nobody", "root"],
    ]


def test_run_subprocess_raises_tljhs_error_which_is_also_one_line():
    from tljh.utils import run_subprocess

    assert run_subprocess(["true"]) is None
    with pytest.raises(subprocess.CalledProcessError) as failed:
        run_subprocess([sys.executable, "-c", "import sys; print('went wrong'); sys.exit(3)"])
    assert failed.value.returncode == 3 and isinstance(failed.value, TljhError)
    assert "went wrong" in failed.value.one_line() and "\n" not in failed.value.one_line()


def test_get_plugin_manager_has_the_hooks_and_the_installed_plugins():
    from tljh.utils import get_plugin_manager

    pm = get_plugin_manager()
    assert hasattr(pm.hook, "tljh_new_user_create") and pm.get_plugins()


def test_config_constants_follow_tljhs_install_prefix(monkeypatch):
    import tljh.config

    monkeypatch.setenv("TLJH_INSTALL_PREFIX", "/srv/elsewhere")
    try:
        importlib.reload(tljh.config)
        assert (tljh.config.INSTALL_PREFIX, tljh.config.HUB_ENV_PREFIX) == ("/srv/elsewhere", "/srv/elsewhere/hub")
        assert tljh.config.USER_ENV_PREFIX == "/srv/elsewhere/user"
        assert tljh.config.STATE_DIR == "/srv/elsewhere/state"
        assert tljh.config.CONFIG_FILE == "/srv/elsewhere/config/config.yaml"
        assert tljh.config.CONFIG_DIR == "/srv/elsewhere/config"
    finally:
        monkeypatch.delenv("TLJH_INSTALL_PREFIX")
        importlib.reload(tljh.config)
    assert tljh.config.CONFIG_FILE == "/opt/tljh/config/config.yaml"


def test_load_config_gives_defaults_overlaid_with_the_file_and_refuses_a_bad_file(tmp_path):
    from tljh.configurer import CONFIG_FILE, load_config

    assert CONFIG_FILE.endswith("/config/config.yaml")
    config_file = tmp_path / "config.yaml"
    config_file.write_text("limits:\n  memory: 1G\n")
    config = load_config(str(config_file))
    assert config["limits"]["memory"] == "1G" and config["user_environment"]["default_app"] == "jupyterlab"
    config_file.write_text("limits:\n  memroy: 1G\n")
    with pytest.raises(ConfigError, match="did you mean limits.memory"):
        load_config(str(config_file))


def test_systemd_functions_run_systemctl_and_raise_on_failure(calls):
    import tljh.systemd as systemd

    systemd.reload_daemon()
    systemd.start_service("course.service")
    systemd.stop_service("course.service")
    systemd.enable_service("course.service")
    systemd.disable_service("course.service")
    assert systemd.check_service_active("course.service") is True
    assert systemd.check_service_enabled("no-such-unit") is False
    assert calls == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "start", "course.service"],
        ["systemctl", "stop", "course.service"],
        ["systemctl", "enable", "--quiet", "course.service"],
        ["systemctl", "disable", "course.service"],
        ["systemctl", "is-active", "--quiet", "course.service"],
        ["systemctl", "is-enabled", "--quiet", "no-such-unit"],
    ]
    with pytest.raises(subprocess.CalledProcessError, match="boom"):
        systemd.start_service("no-such-unit")


def test_restart_service_waits_and_install_unit_writes_the_file(calls, tmp_path):
    import tljh.systemd as systemd

    systemd.restart_service("course.service")
    assert ["systemctl", "restart", "course.service"] in calls
    systemd.install_unit("course.service", "[Service]\nExecStart=/bin/true\n", path=str(tmp_path))
    assert (tmp_path / "course.service").read_text() == "[Service]\nExecStart=/bin/true\n"
    systemd.uninstall_unit("course.service", path=str(tmp_path))
    assert not (tmp_path / "course.service").exists()


def test_importing_tljh_conda_is_one_line_naming_the_plugin():
    class CondaPlugin(FakeEntryPoint):
        def load(self):
            sys.modules.pop("tljh.conda", None)
            import tljh.conda  # noqa: F401

    with pytest.raises(PluginError) as error:
        plugin_manager([CondaPlugin("needs_conda")])
    line = error.value.one_line()
    assert line.startswith("plugin 'needs_conda' imports tljh.conda, which tljh-lite does not have")
    assert "tljh_extra_user_pip_packages" in line and "\n" not in line


def test_importing_tljh_conda_late_names_the_importing_module():
    code = "import tljh.conda"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "module __main__ imports tljh.conda, which tljh-lite does not have" in result.stderr
