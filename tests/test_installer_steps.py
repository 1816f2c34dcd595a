"""Installer steps that can be checked without a machine to install on."""

import os
import stat

import pytest

from tljh_lite.errors import TljhError
from tljh_lite.installer.admins import Admin, ensure_admins_listed, parse_admins
from tljh_lite.installer.state import ensure_state
from tljh_lite.installer.sudoers import ensure_sudoers
from tljh_lite.paths import Paths
from tljh_lite.runner import Result

from fakes import RecordingRunner


def test_admins_come_as_json_on_stdin():
    admins = parse_admins('{"admins": [{"name": "prof", "password": "a:b:c", "generated": false}, {"name": "ta"}]}')
    assert admins == [Admin("prof", "a:b:c", False), Admin("ta", None, False)]
    assert parse_admins("") == []
    with pytest.raises(TljhError, match="not valid JSON"):
        parse_admins("{nope")


def test_admins_are_added_to_config_once(tmp_path, checker):
    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text("# mine\nusers:\n  admin:\n  - prof\n")
    ensure_admins_listed(paths, [Admin("prof"), Admin("ta")], checker)
    ensure_admins_listed(paths, [Admin("prof"), Admin("ta")], checker)
    assert paths.config_file.read_text() == "# mine\nusers:\n  admin:\n  - prof\n  - ta\n"


def test_state_is_private_and_secrets_are_made_once(tmp_path):
    paths = Paths(tmp_path)
    ensure_state(paths)
    token = (paths.state_dir / "proxy.env").read_text()
    assert token.startswith("CONFIGPROXY_AUTH_TOKEN=") and len(token.strip()) > 60
    ensure_state(paths)
    assert (paths.state_dir / "proxy.env").read_text() == token
    for path in (paths.state_dir, paths.config_dir):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for secret in ("proxy.env", "jupyterhub_cookie_secret"):
        assert stat.S_IMODE((paths.state_dir / secret).stat().st_mode) == 0o600


def test_sudoers_is_checked_by_visudo_before_it_lands(tmp_path):
    target = tmp_path / "jupyterhub-admins"
    runner = RecordingRunner()
    assert ensure_sudoers(runner, target, "%g ALL = (ALL) NOPASSWD: ALL\n") is True
    assert runner.calls[0][:2] == ["visudo", "-cf"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o440
    assert ensure_sudoers(runner, target, "%g ALL = (ALL) NOPASSWD: ALL\n") is False
    assert len(runner.calls) == 1


def test_a_sudoers_file_visudo_rejects_never_lands(tmp_path):
    target = tmp_path / "jupyterhub-admins"
    runner = RecordingRunner({("visudo",): Result([], 1, "", "syntax error near line 1\n")})
    with pytest.raises(TljhError, match="syntax error"):
        ensure_sudoers(runner, target, "garbage\n")
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_the_user_env_is_built_once_with_bytecode_and_bootstraps_excludes(tmp_path, monkeypatch):
    from tljh_lite.installer import userenv

    paths = Paths(tmp_path)
    paths.state_dir.mkdir()
    (paths.user_venv / "bin").mkdir(parents=True)
    (paths.user_venv / "pyvenv.cfg").write_text("include-system-site-packages = false\n")
    paths.hub_venv.mkdir()
    paths.uv_excludes.write_text("rfc3987-syntax\n")
    monkeypatch.setattr(userenv.importlib.metadata, "version", lambda name: "6.1.1")
    runner = RecordingRunner()
    assert userenv.ensure_user_env(runner, paths, None, ["jupyterlab"]) is True
    install = next(c for c in runner.calls if c[1:3] == ["pip", "install"])
    assert "--compile-bytecode" in install and install[-2:] == ["jupyterlab", "jupyterhub==6.1.1"]
    assert install[install.index("--excludes") + 1] == str(paths.uv_excludes)
    assert (paths.user_venv / "share/jupyter/lab/settings/overrides.json").exists()
    (paths.user_venv / "bin" / "python3").touch()
    runner.calls.clear()
    assert userenv.ensure_user_env(runner, paths, None, ["jupyterlab"]) is False  # nothing asked changed
    assert runner.calls == []
