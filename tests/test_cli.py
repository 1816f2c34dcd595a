"""tljh-config end to end: every subcommand, its output and exit code."""

import os

import pytest

from conftest import run_process
from tljh_lite.cli.tljh_config import main
from tljh_lite.paths import Paths

SUBCOMMANDS = ["show", "get", "set", "unset", "add-item", "remove-item", "validate", "reload"]


def test_set_then_show_and_get(cli, config_path):
    result = cli("set", "limits.memory", "1G")
    assert result.code == 0
    assert "limits.memory set to '1G' (was not set)" in result.out
    assert "sudo tljh-config reload" in result.out
    assert cli("show").out == "limits:\n  memory: 1G\n"
    assert cli("get", "limits.memory").out == "1G\n"


def test_get_shows_defaults_for_keys_the_file_does_not_set(cli):
    assert cli("get", "services.cull.timeout").out == "3600\n"
    assert cli("get", "limits.cpu").out == "none\n"
    assert cli("get", "users.allowed").out == "[]\n"
    assert cli("get", "user_environment").out == "default_app: jupyterlab\n"
    result = cli("get", "limits.cpux")
    assert result.code == 1 and "did you mean limits.cpu?" in result.err


def test_unset(cli, config_path):
    cli("set", "limits.cpu", "2")
    result = cli("unset", "limits.cpu")
    assert result.code == 0 and "limits.cpu unset" in result.out
    assert config_path.read_text() == ""
    again = cli("unset", "limits.cpu")
    assert again.code == 0 and "nothing changed" in again.out


def test_add_and_remove_items(cli, config_path):
    assert cli("add-item", "users.allowed", "alice").code == 0
    assert cli("add-item", "users.allowed", "bob").code == 0
    assert cli("add-item", "users.allowed", "bob").out.startswith("'bob' is already in users.allowed")
    assert cli("remove-item", "users.allowed", "alice").code == 0
    assert config_path.read_text() == "users:\n  allowed:\n  - bob\n"
    missing = cli("remove-item", "users.allowed", "zed")
    assert missing.code == 1
    assert missing.err == "tljh-config: error: 'zed' is not in users.allowed; it has: bob\n"


def test_negative_numbers_are_values_not_options(cli):
    result = cli("set", "limits.cpu", "-1")
    assert result.code == 1
    assert "limits.cpu must be a positive number of CPUs like 0.5 or 2, or none, not -1" in result.err


def test_errors_are_one_line_with_non_zero_exit_and_no_damage(cli, config_path):
    cli("set", "limits.memory", "1G")
    before = config_path.read_bytes()
    for args in [
        ("set", "limits.memroy", "2G"),
        ("set", "users.allowed", "alice"),
        ("set", "limits.memory", "2GB"),
        ("add-item", "limits.memory", "2G"),
        ("remove-item", "users.admin", "nobody"),
        ("set", "limits..memory", "2G"),
    ]:
        result = cli(*args)
        assert result.code == 1, args
        assert result.out == ""
        assert result.err.startswith("tljh-config: error: ") and result.err.count("\n") == 1, result.err
        assert "Traceback" not in result.err
        assert config_path.read_bytes() == before


def test_validate(cli, config_path):
    assert cli("validate").code == 0
    config_path.parent.mkdir()
    config_path.write_text("limits:\n  memory: 1GB\n  cpu: 0\nbogus: 1\n")
    result = cli("validate")
    assert result.code == 1
    lines = result.err.splitlines()
    assert len(lines) == 3
    assert any("unknown key bogus" in line for line in lines)
    assert any("limits.memory must be a memory size" in line for line in lines)
    assert any("limits.cpu must be a positive number" in line for line in lines)


def test_manage_groups_with_groups_warns_at_set_and_is_refused_by_validate_and_reload(cli, config_path, checker):
    from fakes import RecordingRunner
    from tljh_lite.errors import ConfigError
    from tljh_lite.reload import reload

    assert cli("set", "groups.tas.limits.memory", "2G").code == 0
    result = cli("set", "auth.GenericOAuthenticator.manage_groups", "true")
    assert result.code == 0 and result.err.count("\n") == 1  # TLJH's steps set keys one at a time: a warning
    assert "manage_groups is true, so the authenticator makes the hub's groups" in result.err
    result = cli("validate")
    assert result.code == 1 and result.err.count("\n") == 1
    assert "JupyterHub does not start with both; keep one: sudo tljh-config unset " in result.err
    runner = RecordingRunner()
    paths = Paths(config_path.parent.parent)
    with pytest.raises(ConfigError, match="JupyterHub does not start with both"):
        reload("hub", paths, checker, runner)
    assert runner.calls == []  # the running hub is never stopped for it


def test_an_invalid_file_on_disk_is_reported_by_key(cli, config_path):
    config_path.parent.mkdir()
    config_path.write_text("users:\n  allowed: alice\n")
    result = cli("show")
    assert result.code == 0  # show prints the file as it is
    result = cli("set", "limits.memory", "1G")
    assert result.code == 0
    assert "users.allowed must be a list of usernames" in result.err  # the warning names the broken key


def test_broken_yaml_is_one_line(cli, config_path):
    config_path.parent.mkdir()
    config_path.write_text("limits: [\n")
    result = cli("validate")
    assert result.code == 1
    assert "is not valid YAML at line" in result.err and result.err.count("\n") == 1


@pytest.fixture
def installed_prefix(monkeypatch, tmp_path):
    """TLJH_INSTALL_PREFIX in a temporary folder, run as if by root."""
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    return Paths(tmp_path)


def test_reload_without_a_hub_says_so(installed_prefix, capsys):
    assert main(["reload"]) == 1
    assert "no hub is installed" in capsys.readouterr().err


def test_reload_refuses_an_invalid_config(installed_prefix, capsys):
    assert main(["set", "https.enabled", "true"]) == 0
    assert main(["reload"]) == 1
    assert "no certificate is configured" in capsys.readouterr().err


def test_reload_applies_only_the_installed_config(cli):
    result = cli("reload")
    assert result.code == 1 and "run it without --config-path" in result.err


def test_verbose_shows_the_traceback(config_path):
    with pytest.raises(Exception, match="unknown key"):
        main(["--config-path", str(config_path), "--verbose", "set", "nope", "1"])


def test_config_path_may_follow_the_subcommand(config_path, capsys):
    assert main(["set", "--config-path", str(config_path), "limits.cpu", "1"]) == 0
    assert config_path.read_text() == "limits:\n  cpu: 1\n"


def test_argument_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["set", "limits.cpu"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "see tljh-config set --help" in err


def test_a_value_starting_with_a_dash_is_told_to_follow_double_dash(capsys, tmp_path):
    config = tmp_path / "config.yaml"
    with pytest.raises(SystemExit) as raised:
        main(["--config-path", str(config), "set", "auth.GenericOAuthenticator.client_secret", "-dP38SnW"])
    err = capsys.readouterr().err
    assert raised.value.code == 2 and err.count("\n") == 1 and not config.exists()
    assert "a value that starts with '-' goes after --: tljh-config set KEY -- VALUE" in err
    assert main(["--config-path", str(config), "set", "auth.GenericOAuthenticator.client_secret", "--", "-dP38SnW"]) == 0
    assert "client_secret: -dP38SnW" in config.read_text()


def test_default_config_needs_root_and_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["show"]) == 1
    err = capsys.readouterr().err
    assert f"needs root to use {Paths(tmp_path).config_file}" in err and "sudo" in err


@pytest.mark.parametrize("subcommand", [None, *SUBCOMMANDS])
def test_help_works_for_every_subcommand_as_any_user(subcommand, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path / "not-installed"))
    with pytest.raises(SystemExit) as raised:
        main(["--help"] if subcommand is None else [subcommand, "--help"])
    assert raised.value.code == 0
    assert "usage: tljh-config" in capsys.readouterr().out
    assert not (tmp_path / "not-installed").exists()


def test_a_users_own_file_needs_no_root(monkeypatch, config_path, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["--config-path", str(config_path), "add-item", "users.admin", "prof"]) == 0
    assert config_path.read_text() == "users:\n  admin:\n  - prof\n"


def test_the_console_script_runs_as_a_process(config_path):
    result = run_process("--config-path", str(config_path), "set", "limits.memory", "nonsense")
    assert result.returncode == 1
    assert result.stderr.startswith("tljh-config: error: limits.memory must be a memory size")


@pytest.mark.parametrize("args", [["--help"], ["https", "--help"], ["https", "status", "--help"], ["https", "renew", "--help"]])
def test_tljh_lite_help_works_as_any_user(args, monkeypatch, tmp_path, capsys):
    from tljh_lite.cli.tljh_lite import main as lite

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path / "not-installed"))
    with pytest.raises(SystemExit) as raised:
        lite(args)
    assert raised.value.code == 0
    assert "usage: tljh-lite" in capsys.readouterr().out


def test_tljh_lite_https_status_needs_root_and_says_so(monkeypatch, tmp_path, capsys):
    from tljh_lite.cli.tljh_lite import main as lite

    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert lite(["https", "status"]) == 1
    assert capsys.readouterr().err.startswith("tljh-lite: error: this command needs root")


def test_https_status_of_a_hub_without_https(config_path, capsys):
    from tljh_lite.cli.tljh_lite import main as lite

    assert lite(["--config-path", str(config_path), "https", "status"]) == 0
    assert "HTTPS:          off" in capsys.readouterr().out


# ---------------------------------------------------------------- tljh-lite bundle create


def test_bundle_create_has_help_for_anyone_and_its_two_entry_points_agree(capsys):
    from tljh_lite.bundle.__main__ import main as from_a_checkout
    from tljh_lite.cli.tljh_lite import main as tljh_lite

    helps = []
    for entry_point in (lambda argv: tljh_lite(["bundle", *argv]), from_a_checkout):
        with pytest.raises(SystemExit) as done:
            entry_point(["create", "--help"])
        assert done.value.code == 0
        helps.append(capsys.readouterr().out)
    for option in ("--release", "--out", "--plugin", "--user-requirements", "--arch", "--index-url", "--cache"):
        assert all(option in text for text in helps), option


def test_bundle_create_refuses_what_it_cannot_make_in_one_line_before_downloading(tmp_path, capsys):
    from tljh_lite.bundle.__main__ import main as from_a_checkout

    code = from_a_checkout(["create", "--release", "bookworm", "--user-requirements", str(tmp_path / "missing.txt"),
                            "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert f"--user-requirements {tmp_path / 'missing.txt'} does not exist" in err
    assert not (tmp_path / "cache").exists()  # nothing made, nothing downloaded
    code = from_a_checkout(["create", "--release", "bookworm", "--source", str(tmp_path)])
    assert code == 1 and "is not a checkout of tljh-lite" in capsys.readouterr().err
    code = from_a_checkout(["create", "--release", "trixie", "--out", str(tmp_path / "no" / "such" / "b.tar"),
                            "--cache", str(tmp_path / "cache")])
    assert code == 1 and f"cannot write the bundle into {tmp_path / 'no' / 'such'}" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists()
