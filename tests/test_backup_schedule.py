"""Scheduled backups (config keys, timer, rotation), what a backup collects, the command line, releases."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

from fakes import RecordingRunner
from tljh_lite import __version__
from tljh_lite.backup import collect, rotation
from tljh_lite.backup.units import BACKUP_TIMER, BACKUP_UNIT, backup_service_unit, backup_timer_unit
from tljh_lite.config.defaults import merged
from tljh_lite.https.files import Lineage
from tljh_lite.paths import Paths
from tljh_lite.proxy import unit as proxy_unit_module
from tljh_lite.units.manager import UnitManager

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("key, value", [
    ("backup.schedule", "daily"), ("backup.schedule", "weekly"), ("backup.schedule", "off"), ("backup.keep", 1),
    ("backup.path", "/var/backups/tljh-lite"), ("backup.path", "/home/prof/backups"), ("backup.path", "/mnt/usb"),
])
def test_backup_keys_accept_what_they_document(editor_for_backup, key, value):
    assert editor_for_backup(key, value) == []


@pytest.mark.parametrize("key, value, words", [
    ("backup.schedule", "hourly", "off, daily or weekly"),
    ("backup.keep", 0, "1 or more"),
    ("backup.path", "backups", "absolute folder path"),
    ("backup.path", "/", "absolute folder path"),
    ("backup.path", "/home/jupyter-alice/b", "not in a student's home"),
    ("backup.path", "/opt/tljh/backups", "/opt/tljh"),
    ("backup.path", "/tmp/b", "/tmp"),
    ("backup.path", "/var/backups/../tmp", "absolute folder path"),
])
def test_backup_keys_refuse_what_cannot_work(editor_for_backup, key, value, words):
    problems = editor_for_backup(key, value)
    assert problems and words in problems[0]


@pytest.fixture
def editor_for_backup(checker):
    from tljh_lite.config.tree import set_item

    def problems(key, value):
        return [p.message for p in checker.schema_problems(set_item({}, key.split("."), value))]

    return problems


def test_the_timer_runs_the_backup_at_night_and_catches_up_after_downtime():
    assert "OnCalendar=*-*-* 03:00:00" in backup_timer_unit("daily")
    assert "OnCalendar=Sun *-*-* 03:00:00" in backup_timer_unit("weekly")
    assert "Persistent=true" in backup_timer_unit("daily")
    assert "is not enabled" in backup_timer_unit("off")
    service = backup_service_unit(Paths(Path("/opt/tljh")))
    assert "ExecStart=/opt/tljh/hub/bin/tljh-lite backup create --scheduled" in service
    assert "Type=oneshot" in service and "Nice=10" in service


@pytest.fixture
def services(tmp_path, monkeypatch):
    monkeypatch.setattr(proxy_unit_module, "find_proxy_binary", lambda: "/usr/bin/configurable-http-proxy")
    unit_dir = tmp_path / "units"
    unit_dir.mkdir()
    return UnitManager(Paths(tmp_path / "opt"), RecordingRunner(), unit_dir=unit_dir)


def test_reload_turns_the_timer_on_and_off_as_backup_schedule_says(services):
    services.schedule(merged({"backup": {"schedule": "weekly"}}))
    assert "Sun *-*-* 03:00:00" in (services.unit_dir / BACKUP_TIMER).read_text()
    assert (services.unit_dir / BACKUP_UNIT).exists()
    assert ["systemctl", "restart", BACKUP_TIMER] in services.runner.calls
    services.runner.calls.clear()
    services.schedule(merged({}))
    assert ["systemctl", "disable", "--now", "--quiet", BACKUP_TIMER] in services.runner.calls
    assert not any(call[:2] == ["systemctl", "restart"] for call in services.runner.calls)


def test_rotation_keeps_the_newest_scheduled_backups_and_never_touches_others(tmp_path):
    names = [rotation.archive_name(1_700_000_000 + day * 86400, scheduled=True) for day in range(5)]
    by_hand = rotation.archive_name(1_600_000_000)
    for name in names + [by_hand, "notes.txt"]:
        (tmp_path / name).write_text("x")
    deleted = rotation.rotate(tmp_path, keep=2)
    assert sorted(p.name for p in deleted) == sorted(names[:3])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[3:] + [by_hand, "notes.txt"])
    assert [p.name for p in rotation.backups_in(tmp_path)] == [names[4], names[3], by_hand]


def test_two_backups_in_one_second_get_two_names(tmp_path):
    name = rotation.archive_name(1_700_000_000, scheduled=True)
    (tmp_path / name).write_text("x")
    second = rotation.free_name(tmp_path, name)
    assert second.name == name.replace("Z-scheduled", "Z-2-scheduled")
    second.write_text("x")
    assert rotation.to_delete([name, second.name], keep=1) == [name]


def test_the_scheduled_run_records_failures_for_status(tmp_path, monkeypatch):
    from tljh_lite.backup import scheduled
    from tljh_lite.backup.errors import BackupError

    paths = Paths(tmp_path)
    paths.state_dir.mkdir()

    def full(*args, **kwargs):
        raise BackupError("the disk is full: no room", "free some space")

    monkeypatch.setattr(scheduled, "create", full)
    with pytest.raises(BackupError):
        scheduled.run_scheduled(paths, merged({}), None)
    attempt = scheduled.last_scheduled(paths)
    assert not attempt.ok and "the disk is full" in attempt.result and "FAILED" in attempt.line()


def test_plugin_sources_say_how_to_install_the_same_plugin_again():
    assert collect.plugin_source("course", "1.0", None) == "course==1.0"
    assert collect.plugin_source("x", "1", '{"url": "file:///srv/my%20plugin", "dir_info": {}}') == "/srv/my plugin"
    vcs = '{"url": "https://github.com/u/p", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}'
    assert collect.plugin_source("p", "1", vcs) == "git+https://github.com/u/p@abc123"
    assert collect.plugin_source("p", "1", '{"url": "https://h/p-1.whl", "archive_info": {}}') == "https://h/p-1.whl"


def test_plugin_data_comes_from_the_hook_and_system_folders_are_left_out(caplog):
    from tljh_lite import hooks
    from tljh_lite.plugins import plugin_manager

    class Plugin:
        @hooks.hookimpl
        def tljh_lite_backup_paths(self):
            return ["/srv/course", "/usr/lib", "/opt/tljh/state", "relative", "/srv/course/../etc"]

    pm = plugin_manager(entry_points=[])
    pm.register(Plugin(), name="course")
    assert collect.plugin_data(pm) == [("course", "/srv/course")]
    assert caplog.text.count("not a data folder") == 4


def test_the_test_plugin_and_shared_folders_name_their_data():
    from fakes import load_test_plugin

    assert load_test_plugin().tljh_lite_backup_paths() == ["/opt/tljh/test-plugin"]


def test_roots_are_homes_certificates_and_plugin_data_each_once(tmp_path):
    homes = [tmp_path / "home" / "jupyter-a", tmp_path / "home" / "jupyter-b"]
    for home in homes:
        home.mkdir(parents=True)
    letsencrypt = tmp_path / "letsencrypt"
    letsencrypt.mkdir()
    data = [("p", str(tmp_path / "home" / "jupyter-a" / "x")), ("p", str(tmp_path / "srv"))]
    (tmp_path / "srv").mkdir()
    config = merged({"https": {"enabled": True, "letsencrypt": {"domains": ["hub.example.edu"], "email": "a@b.cd"}}})
    roots = collect.roots(config, [str(h) for h in homes], data, Lineage(root=letsencrypt))
    assert [(r["path"], r["kind"]) for r in roots] == [
        (str(homes[0]), "home"), (str(homes[1]), "home"), (str(letsencrypt), "certificates"),
        (str(tmp_path / "srv"), "plugin data")]
    own = merged({"https": {"enabled": True, "tls": {"key": str(tmp_path / "k"), "cert": str(tmp_path / "c")}}})
    (tmp_path / "k").write_text("key")
    (tmp_path / "c").write_text("cert")
    assert [r["path"] for r in collect.roots(own, [], [])] == [str(tmp_path / "c"), str(tmp_path / "k")]


@pytest.mark.parametrize("args", [["backup", "--help"], ["backup", "create", "--help"], ["backup", "restore", "--help"],
                                  ["backup", "status", "--help"]])
def test_backup_help_works_as_any_user(args, monkeypatch, tmp_path, capsys):
    from tljh_lite.cli.tljh_lite import main as lite

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path / "not-installed"))
    with pytest.raises(SystemExit) as raised:
        lite(args)
    assert raised.value.code == 0 and "usage: tljh-lite backup" in capsys.readouterr().out
    assert not (tmp_path / "not-installed").exists()


@pytest.mark.parametrize("args", [["backup", "create"], ["backup", "restore", "/nowhere.tar.gz"], ["backup", "status"]])
def test_backup_commands_need_root_and_say_so(args, monkeypatch, tmp_path, capsys):
    from tljh_lite.cli.tljh_lite import main as lite

    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert lite(args) == 1
    assert capsys.readouterr().err.startswith("tljh-lite: error: this command needs root")


def test_the_release_number_is_the_same_in_pyproject_and_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_restore_trusts_the_same_ca_bundle_as_bootstrap():
    from bootstrap_fakes import bootstrap
    from tljh_lite.installer import cabundle

    assert cabundle.CA_SOURCE_VARS == bootstrap.CA_SOURCE_VARS
    assert cabundle.CA_EXPORT_VARS == bootstrap.CA_EXPORT_VARS
    assert cabundle.SYSTEM_CA_BUNDLE == bootstrap.SYSTEM_CA_BUNDLE
    environ = {"REQUESTS_CA_BUNDLE": "/campus/ca.pem"}
    exists = {"/campus/ca.pem"}.__contains__
    assert cabundle.ca_bundle_env(environ, exists) == bootstrap.ca_bundle_env(environ, exists)
    assert cabundle.ca_bundle_env({}, lambda p: False) == {}


def test_backup_status_lists_what_the_last_scheduled_backup_left_out_and_exits_1(tmp_path, monkeypatch, capsys):
    import tljh_lite.runner
    from tljh_lite.attempts import record_attempt
    from tljh_lite.backup import scheduled
    from tljh_lite.cli.tljh_lite import main as lite

    if os.geteuid() != 0:
        pytest.skip("backup status needs root")
    monkeypatch.setattr(tljh_lite.runner, "Runner", RecordingRunner)  # no systemd here: the timer reads as unknown
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path))
    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.state_dir.mkdir()
    paths.config_file.write_text("backup:\n  path: /var/backups/tljh-lite-unit-test-none\n")  # read, not made
    deep = "/home/jupyter-m/d" + "/d" * 100
    record_attempt(scheduled.status_file(paths), scheduled.ACTION, True, "Backup written X: 1 homes, 1 entry skipped",
                   notes=[f"skipped {deep}: a folder more than 100 levels deep: left out with everything in it"])
    assert lite(["backup", "status"]) == 1
    out = capsys.readouterr().out
    assert "scheduled backup: ok: Backup written X: 1 homes, 1 entry skipped" in out
    assert f"skipped {deep}: a folder more than 100 levels deep" in out
    assert "Needs you: the last scheduled backup left entries out, listed with why (above)" in out
    record_attempt(scheduled.status_file(paths), scheduled.ACTION, True, "Backup written X: 1 homes")
    assert lite(["backup", "status"]) == 0
