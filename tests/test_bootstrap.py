"""installer/bootstrap.py: arguments, --source, every preflight check, CA bundles,
the steps it runs (recorded, never run), and that it behaves when piped into Python.

No root, no network, no changes to the machine: checks get fake file texts and
probes, steps run through a recording runner, and the real script only runs as
a subprocess for --help and the non-root refusal.
"""

from __future__ import annotations

import ast
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from bootstrap_fakes import MEMINFO, OS_RELEASES, SCRIPT, FakeMachine, RecordingRunner, bootstrap, make_plan

BootstrapError = bootstrap.BootstrapError

PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41235 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41236 1 0000000000000000 100 0 0 10 0
   2: 0F02000A:0050 0A02000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 41237 1 0000000000000000 20 4 30 10 -1
"""

PROC_NET_TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 51234 1 0000000000000000 100 0 0 10 0
"""


def admin_error(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        bootstrap.parse_args(list(argv), {})
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and err.startswith("error: ")
    return err


# ---------------------------------------------------------------- arguments


def test_admin_splits_on_the_first_colon_only():
    args = bootstrap.parse_args(["--admin", "prof:pa:ss:word"], {})
    [admin] = args.admin
    assert (admin.name, admin.password, admin.generated) == ("prof", "pa:ss:word", False)


def test_admin_without_a_password_gets_a_strong_generated_one():
    args = bootstrap.parse_args(["--admin", "prof", "--admin", "ta"], {})
    prof, ta = args.admin
    assert prof.generated and ta.generated
    assert len(prof.password) >= 16 and prof.password != ta.password
    assert prof.password not in repr(prof)


@pytest.mark.parametrize(
    "value, reason",
    [
        (":password1", "is empty"),
        ("pro f:password1", "contains a space"),
        ("pro\tf", "contains a space"),
        ("a,b:password1", "contains ','"),
        ("a/b:password1", "contains '/'"),
        ("pr\x07of:password1", "control character"),
        ("pr\x7fof", "control character"),
    ],
)
def test_bad_admin_names_are_refused_in_one_line(capsys, value, reason):
    err = admin_error(capsys, "--admin", value)
    assert reason in err and "password1" not in err


def test_short_password_is_refused_without_showing_it(capsys):
    err = admin_error(capsys, "--admin", "prof:seven77")
    assert "shorter than 8 characters" in err and "--admin prof" in err
    assert "seven77" not in err


def test_empty_password_after_a_colon_is_too_short_not_generated(capsys):
    assert "shorter than 8" in admin_error(capsys, "--admin", "prof:")


def test_eight_character_password_is_enough():
    assert bootstrap.parse_args(["--admin", "prof:12345678"], {}).admin[0].password == "12345678"


def test_the_same_admin_twice_is_refused(capsys):
    assert "prof is given more than once" in admin_error(capsys, "--admin", "prof", "--admin", "prof:password1")


def test_plugins_repeat_take_several_specs_and_lose_duplicates():
    args = bootstrap.parse_args(["--plugin", "a", "b==1", "--plugin", "c", "a", "--plugin", "b==1"], {})
    assert args.plugin == ["a", "b==1", "c"]


def test_defaults():
    args = bootstrap.parse_args([], {})
    assert args.admin == [] and args.plugin == []
    assert args.source == "tljh-lite"
    assert not args.show_progress_page and not args.preflight_only
    assert args.user_requirements_txt_url is None


def test_source_defaults_to_the_environment_variable():
    assert bootstrap.parse_args([], {"TLJH_LITE_SOURCE": "/src/tljh-lite"}).source == "/src/tljh-lite"
    assert bootstrap.parse_args(["--source", "x"], {"TLJH_LITE_SOURCE": "/src"}).source == "x"


def test_other_options():
    args = bootstrap.parse_args(
        ["--user-requirements-txt-url", "https://example.org/r.txt", "--show-progress-page", "--dry-run"], {}
    )
    assert args.user_requirements_txt_url == "https://example.org/r.txt"
    assert args.show_progress_page and args.preflight_only


def test_the_installers_options_are_passed_on_as_typed_and_bootstraps_are_not():
    argv = ["--admin", "prof:pass:word", "--plugin", "a", "b", "--show-progress-page", "--plugin=c",
            "--user-requirements-txt-url=https://u:s3cret@h/r.txt", "--source", "tljh-lite==0.2", "--dry-run"]
    args = bootstrap.parse_args(argv, {})
    assert args.installer_args == ["--plugin", "a", "b", "--plugin=c", "--user-requirements-txt-url=https://u:s3cret@h/r.txt"]
    assert args.plugin == ["a", "b", "c"] and args.user_requirements_txt_url == "https://u:s3cret@h/r.txt"
    assert bootstrap.parse_args(["--admin", "prof", "--show-progress-page"], {}).installer_args == []


def test_a_mistake_in_an_installer_option_is_refused_before_anything_changes(capsys):
    assert "unrecognized arguments: --plugins" in admin_error(capsys, "--plugins", "a")
    assert "--plugin: expected at least one argument" in admin_error(capsys, "--plugin")


def test_help_in_process(capsys):
    with pytest.raises(SystemExit) as exit_info:
        bootstrap.parse_args(["--help"], {})
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--admin NAME[:PASSWORD]" in out
    assert f"{bootstrap.INSTALLER_OPTIONS_TITLE}:\n  --plugin SPEC" in out and "--user-requirements-txt-url URL" in out


# ---------------------------------------------------------------- --source


@pytest.mark.parametrize(
    "spec, requirement",
    [
        ("tljh-lite", "tljh-lite[hub]"),
        ("tljh-lite==0.2", "tljh-lite[hub]==0.2"),
        ("tljh-lite >=0.2,<1", "tljh-lite[hub] >=0.2,<1"),
        ("tljh_lite~=0.2", "tljh_lite[hub]~=0.2"),
        ("TLJH.Lite", "TLJH.Lite[hub]"),
        ("tljh-lite[test]==0.2", "tljh-lite[hub,test]==0.2"),
        ("tljh-lite[hub]", "tljh-lite[hub]"),
        ("tljh-lite @ https://example.org/t.whl", "tljh-lite[hub] @ https://example.org/t.whl"),
        ("tljh-lite; python_version>='3.10'", "tljh-lite[hub]; python_version>='3.10'"),
        (
            "https://example.org/dist/tljh_lite-0.2-py3-none-any.whl",
            "tljh-lite[hub] @ https://example.org/dist/tljh_lite-0.2-py3-none-any.whl",
        ),
        ("http://example.org/tljh-lite-0.2.tar.gz", "tljh-lite[hub] @ http://example.org/tljh-lite-0.2.tar.gz"),
        ("file:///srv/tljh_lite-0.2-py3-none-any.whl", "tljh-lite[hub] @ file:///srv/tljh_lite-0.2-py3-none-any.whl"),
        ("git+https://example.org/tljh-lite.git@main", "tljh-lite[hub] @ git+https://example.org/tljh-lite.git@main"),
    ],
)
def test_source_requirement_specs_and_urls(spec, requirement, tmp_path):
    assert bootstrap.source_requirement(spec, str(tmp_path)) == requirement


@pytest.mark.parametrize("spec", ["jupyterhub==5", "tljh-lite-extra", "tljh-litex==1", "", "==1"])
def test_a_source_that_is_not_tljh_lite_is_refused(spec, tmp_path):
    with pytest.raises(BootstrapError, match="is not tljh-lite; give a checkout directory"):
        bootstrap.source_requirement(spec, str(tmp_path))


def checkout(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "pyproject.toml").write_text("[project]\nname = 'tljh-lite'\n")
    return path


def test_a_checkout_directory_becomes_a_file_url(tmp_path):
    src = checkout(tmp_path / "src" / "tljh-lite")
    expected = f"tljh-lite[hub] @ file://{src}"
    assert bootstrap.source_requirement(str(src), "/") == expected
    assert bootstrap.source_requirement("./src/tljh-lite", str(tmp_path)) == expected
    assert bootstrap.source_requirement(".", str(src)) == expected
    assert bootstrap.is_checkout(".", str(src))


def test_a_path_with_spaces_is_quoted_in_the_url(tmp_path):
    src = checkout(tmp_path / "my code")
    assert bootstrap.source_requirement(str(src), "/").endswith("/my%20code")


def test_a_wheel_becomes_a_file_url(tmp_path):
    wheel = tmp_path / "tljh_lite-0.2-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    assert bootstrap.source_requirement(wheel.name, str(tmp_path)) == f"tljh-lite[hub] @ file://{wheel}"
    assert not bootstrap.is_checkout(str(wheel), "/")


def test_a_missing_path_or_a_directory_without_a_project_is_refused(tmp_path):
    with pytest.raises(BootstrapError, match="does not exist"):
        bootstrap.source_requirement("missing-0.2-py3-none-any.whl", str(tmp_path))
    with pytest.raises(BootstrapError, match="does not exist"):
        bootstrap.source_requirement("./nothing/here", str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BootstrapError, match="without pyproject.toml"):
        bootstrap.source_requirement("./empty", str(tmp_path))


def test_a_bare_name_is_a_requirement_even_if_a_directory_has_that_name(tmp_path):
    checkout(tmp_path / "tljh-lite")
    assert bootstrap.source_requirement("tljh-lite", str(tmp_path)) == "tljh-lite[hub]"
    assert not bootstrap.is_checkout("tljh-lite", str(tmp_path))


# ---------------------------------------------------------------- preflight checks


def test_root():
    bootstrap.check_root(0)
    with pytest.raises(BootstrapError) as e:
        bootstrap.check_root(1000)
    assert str(e.value).startswith("this installer must run as root; pipe it into 'sudo python3 -'")


@pytest.mark.parametrize("version", [(3, 10, 0), (3, 11, 2), (3, 13, 1), (4, 0, 0)])
def test_python_new_enough(version):
    bootstrap.check_python(version)


@pytest.mark.parametrize("version, shown", [((3, 9, 18), "3.9.18"), ((3, 8, 10), "3.8.10"), ((2, 7, 18), "2.7.18")])
def test_python_too_old(version, shown):
    with pytest.raises(BootstrapError, match=f"Python {shown} is too old, tljh-lite needs Python 3.10 or newer; use"):
        bootstrap.check_python(version)


@pytest.mark.parametrize(
    "name, distro",
    [("debian-12", "debian:12"), ("debian-13", "debian:13"), ("ubuntu-22.04", "ubuntu:22.04"), ("ubuntu-24.04", "ubuntu:24.04")],
)
def test_supported_systems(name, distro):
    assert bootstrap.check_os(OS_RELEASES[name]) == distro


@pytest.mark.parametrize(
    "name, shown",
    [
        ("debian-11", "Debian GNU/Linux 11 (bullseye) is not supported (ID=debian, VERSION_ID=11)"),
        ("debian-sid", "Debian GNU/Linux trixie/sid is not supported (ID=debian, VERSION_ID=missing)"),
        ("ubuntu-20.04", "Ubuntu 20.04.6 LTS is not supported (ID=ubuntu, VERSION_ID=20.04)"),
        ("mint-21.3", "Linux Mint 21.3 is not supported (ID=linuxmint, VERSION_ID=21.3)"),
    ],
)
def test_unsupported_systems_are_named(name, shown):
    with pytest.raises(BootstrapError) as e:
        bootstrap.check_os(OS_RELEASES[name])
    assert str(e.value) == f"{shown}; use Debian 12 or newer, or Ubuntu 22.04 or newer"


def test_unreadable_or_strange_os_release():
    with pytest.raises(BootstrapError, match="cannot read /etc/os-release"):
        bootstrap.check_os(None)
    with pytest.raises(BootstrapError, match=r"this system is not supported \(ID=missing, VERSION_ID=missing\)"):
        bootstrap.check_os("garbage\n")
    with pytest.raises(BootstrapError, match="VERSION_ID=12.x"):
        bootstrap.check_os('ID=debian\nVERSION_ID="12.x"\n')


def test_os_release_parsing_handles_quotes_and_comments():
    fields = bootstrap.parse_os_release("# comment\nA='one two'\nB=\"x\"\nC=plain\nbroken\n")
    assert fields == {"A": "one two", "B": "x", "C": "plain"}


def test_systemd():
    bootstrap.check_systemd(True, "systemd\n")
    with pytest.raises(BootstrapError, match=r"systemd is not running this machine \(PID 1 is 'bash'\); tljh-lite runs"):
        bootstrap.check_systemd(True, "bash\n")
    with pytest.raises(BootstrapError, match="PID 1 is 'systemd'"):
        bootstrap.check_systemd(False, "systemd\n")  # PID 1 named systemd, but not booted with it
    with pytest.raises(BootstrapError, match="PID 1 is unknown"):
        bootstrap.check_systemd(False, None)


def test_memory():
    bootstrap.check_memory(MEMINFO.format(kib=2 * 1024 * 1024))
    bootstrap.check_memory(MEMINFO.format(kib=700 * 1024))  # exactly the minimum
    with pytest.raises(BootstrapError) as e:
        bootstrap.check_memory(MEMINFO.format(kib=512 * 1024))
    assert str(e.value) == (
        "this machine has 512 MiB of memory, tljh-lite needs at least 700 MiB; use a machine with 1 GiB or more"
    )
    with pytest.raises(BootstrapError, match="699 MiB"):
        bootstrap.check_memory(MEMINFO.format(kib=700 * 1024 - 1))
    with pytest.raises(BootstrapError, match="cannot read MemTotal"):
        bootstrap.check_memory(None)


def test_the_nearest_existing_parent_holds_the_prefix():
    existing = {"/", "/opt"}
    assert bootstrap.nearest_existing("/opt/tljh", existing.__contains__) == "/opt"
    assert bootstrap.nearest_existing("/srv/a/b", existing.__contains__) == "/"
    assert bootstrap.nearest_existing("/opt", existing.__contains__) == "/opt"


def test_disk():
    statvfs = SimpleNamespace(f_bavail=600_000, f_frsize=4096, f_bfree=700_000, f_bsize=4096)
    assert bootstrap.free_bytes(statvfs) == 600_000 * 4096
    bootstrap.check_disk(2 * 1024**3, "/opt", "/opt/tljh")
    with pytest.raises(BootstrapError) as e:
        bootstrap.check_disk(bootstrap.free_bytes(SimpleNamespace(f_bavail=393216, f_frsize=4096)), "/", "/opt/tljh")
    assert str(e.value) == (
        "only 1.5 GiB is free on / (which will hold /opt/tljh), tljh-lite needs 2 GiB; free some space or grow the disk"
    )


def test_prefix_must_be_absolute():
    bootstrap.check_prefix("/opt/tljh")
    with pytest.raises(BootstrapError, match="TLJH_INSTALL_PREFIX=opt/tljh is not an absolute path"):
        bootstrap.check_prefix("opt/tljh")


def never(*args):
    raise AssertionError("this probe should not have been asked")


def test_a_free_port_asks_nothing_else():
    bootstrap.check_port(80, lambda port: True, never, never)


def test_a_port_held_by_our_own_proxy_is_fine():
    bootstrap.check_port(80, lambda port: False, lambda: True, never)


def test_a_port_held_by_a_service_names_it_and_says_how_to_stop_it():
    holder = lambda port: ("nginx (pid 812, nginx.service)", "nginx.service")  # noqa: E731
    with pytest.raises(BootstrapError) as e:
        bootstrap.check_port(80, lambda port: False, lambda: False, holder)
    assert str(e.value) == (
        "port 80 is in use by nginx (pid 812, nginx.service), and the hub needs it; "
        "stop it with: systemctl disable --now nginx.service, and run this again"
    )


def test_a_port_held_by_a_program_outside_systemd():
    with pytest.raises(BootstrapError, match=r"in use by python3 \(pid 9\), and the hub needs it; stop that program"):
        bootstrap.check_port(80, lambda port: False, lambda: False, lambda port: ("python3 (pid 9)", None))


def test_a_port_held_by_an_unknown_program_says_how_to_find_it():
    with pytest.raises(BootstrapError, match="in use by another program.*find it with: ss -ltnp 'sport = :80'"):
        bootstrap.check_port(80, lambda port: False, lambda: False, lambda port: None)


def test_listening_sockets_are_found_by_port_and_state():
    assert bootstrap.listening_inodes(PROC_NET_TCP, 80) == {"41235"}  # not the established one
    assert bootstrap.listening_inodes(PROC_NET_TCP, 8080) == {"41236"}
    assert bootstrap.listening_inodes(PROC_NET_TCP6, 80) == {"51234"}
    assert bootstrap.listening_inodes(PROC_NET_TCP, 443) == set()
    assert bootstrap.listening_inodes("", 80) == set()


def test_the_service_of_a_process_comes_from_its_cgroup():
    assert bootstrap.unit_from_cgroup("0::/system.slice/nginx.service\n") == "nginx.service"
    hybrid = "12:memory:/system.slice/apache2.service\n1:name=systemd:/system.slice/apache2.service\n0::/\n"
    assert bootstrap.unit_from_cgroup(hybrid) == "apache2.service"
    assert bootstrap.unit_from_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n") is None
    assert bootstrap.unit_from_cgroup("") is None
    assert bootstrap.describe_holder("nginx", 812, "nginx.service") == "nginx (pid 812, nginx.service)"


def test_preflight_passes_on_a_good_machine():
    machine = FakeMachine()
    assert bootstrap.preflight(machine, "/opt/tljh", "tljh-lite==0.2", "/") == ("debian:12", "tljh-lite[hub]==0.2")
    assert machine.asked == [("free_bytes", "/opt")]


@pytest.mark.parametrize("unit", ["configurable-http-proxy", "tljh-progress-page"])
def test_preflight_accepts_port_80_held_by_our_own_units(unit):
    bootstrap.preflight(FakeMachine(can_bind=False, units={unit}), "/opt/tljh", "tljh-lite", "/")


def test_preflight_reports_every_failed_check_at_once():
    machine = FakeMachine(
        os_release=OS_RELEASES["mint-21.3"],
        **{"/proc/1/comm": "bash\n", "/proc/meminfo": MEMINFO.format(kib=400 * 1024)},
        python_version=(3, 9, 2),
        free_bytes=1024**3,
        can_bind=False,
        holder=("apache2 (pid 5, apache2.service)", "apache2.service"),
    )
    with pytest.raises(bootstrap.PreflightFailed) as e:
        bootstrap.preflight(machine, "/opt/tljh", "jupyterhub", "/")
    messages = [str(p) for p in e.value.problems]
    assert [m.split()[0] for m in messages] == ["Linux", "systemd", "Python", "this", "only", "port", "--source"]
    assert all("\n" not in m and "; " in m for m in messages)


def test_preflight_as_a_user_stops_at_the_root_check():
    with pytest.raises(bootstrap.PreflightFailed) as e:
        bootstrap.preflight(FakeMachine(euid=1000, os_release=None), "/opt/tljh", "tljh-lite", "/")
    assert [str(p).split(";")[0] for p in e.value.problems] == ["this installer must run as root"]


def test_a_relative_prefix_fails_without_looking_at_the_disk():
    machine = FakeMachine()
    with pytest.raises(bootstrap.PreflightFailed, match="1 preflight"):
        bootstrap.preflight(machine, "opt/tljh", "tljh-lite", "/")
    assert machine.asked == []


def test_the_real_machine_probes_answer_without_root():
    """The real gathering layer works here (whatever the answers are)."""
    machine = bootstrap.Machine()
    assert machine.python_version() == tuple(sys.version_info[:3])
    assert machine.read("/nonexistent/file") is None
    assert machine.free_bytes("/") > 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not machine.can_bind(port)
        description, _unit = machine.port_holder(port)
        assert f"(pid {os.getpid()}" in description


# ---------------------------------------------------------------- main(): nothing changes before preflight passes


def test_main_as_a_user_prints_one_line_and_creates_nothing(tmp_path, capsys):
    prefix = tmp_path / "prefix"
    environ = {"TLJH_INSTALL_PREFIX": str(prefix)}
    code = bootstrap.main(["--admin", "prof:password1"], environ, FakeMachine(euid=1000))
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: this installer must run as root; ")
    assert not prefix.exists()


def test_main_with_failed_checks_prints_one_line_each_and_creates_nothing(tmp_path, capsys):
    prefix = tmp_path / "prefix"
    code = bootstrap.main([], {"TLJH_INSTALL_PREFIX": str(prefix)}, FakeMachine(os_release=OS_RELEASES["debian-11"]))
    err = capsys.readouterr().err
    assert code == 1 and err == (
        "error: Debian GNU/Linux 11 (bullseye) is not supported (ID=debian, VERSION_ID=11); "
        "use Debian 12 or newer, or Ubuntu 22.04 or newer\n"
    )
    assert not prefix.exists()


def test_preflight_only_prints_the_plan_and_changes_nothing(tmp_path, capsys):
    prefix = tmp_path / "prefix"
    argv = ["--preflight-only", "--admin", "prof:secret-pw", "--admin", "ta", "--plugin", "p1", "p2"]
    code = bootstrap.main(argv, {"TLJH_INSTALL_PREFIX": str(prefix)}, FakeMachine())
    out, err = capsys.readouterr()
    assert code == 0 and err.startswith("warning: the password given with --admin prof:... shows in the process list")
    assert err.count("\n") == 1
    assert out.splitlines()[-1] == "preflight passed"
    assert f"Installing tljh-lite on debian:12 into {prefix}" in out
    assert "prof (password given), ta (password kept, or generated if new)" in out and "p1, p2" in out
    assert "secret-pw" not in out + err
    assert not prefix.exists()


# ---------------------------------------------------------------- CA bundles


def test_ca_bundle_from_the_environment_wins_in_order():
    files = {"/a.pem", "/b.pem", "/c.pem", bootstrap.SYSTEM_CA_BUNDLE}
    environ = {"REQUESTS_CA_BUNDLE": "/a.pem", "SSL_CERT_FILE": "/b.pem", "PIP_CERT": "/c.pem"}
    assert set(bootstrap.ca_bundle_env(environ, files.__contains__).values()) == {"/a.pem"}
    del environ["REQUESTS_CA_BUNDLE"]
    assert set(bootstrap.ca_bundle_env(environ, files.__contains__).values()) == {"/b.pem"}
    del environ["SSL_CERT_FILE"]
    assert set(bootstrap.ca_bundle_env(environ, files.__contains__).values()) == {"/c.pem"}


def test_ca_bundle_is_exported_under_every_name():
    env = bootstrap.ca_bundle_env({"SSL_CERT_FILE": "/campus.pem"}, {"/campus.pem"}.__contains__)
    assert env == {
        "SSL_CERT_FILE": "/campus.pem",
        "REQUESTS_CA_BUNDLE": "/campus.pem",
        "PIP_CERT": "/campus.pem",
        "NODE_EXTRA_CA_CERTS": "/campus.pem",
        "npm_config_cafile": "/campus.pem",
    }


def test_ca_bundle_that_does_not_exist_falls_back_to_the_system_bundle():
    system = bootstrap.SYSTEM_CA_BUNDLE
    environ = {"REQUESTS_CA_BUNDLE": "/gone.pem"}
    assert set(bootstrap.ca_bundle_env(environ, {system}.__contains__).values()) == {system}
    assert bootstrap.ignored_ca_settings(environ, {system}.__contains__) == ["REQUESTS_CA_BUNDLE=/gone.pem"]


def test_no_ca_bundle_anywhere_exports_nothing():
    assert bootstrap.ca_bundle_env({"PIP_CERT": "/gone.pem"}, lambda path: False) == {}
    assert bootstrap.ca_bundle_env({}, lambda path: False) == {}


# ---------------------------------------------------------------- the steps, recorded


def test_a_fresh_install_runs_every_step(capsys):
    py = sys.executable
    plan = make_plan(["--admin", "prof:password:1", "--admin", "ta", "--plugin", "a", "b", "--show-progress-page",
                      "--user-requirements-txt-url", "https://example.org/r.txt"])
    runner = RecordingRunner(fail={f"{py} -c import ensurepip, venv"}, installer_code=3)
    reporter = bootstrap.Reporter(time.time())
    environ = bootstrap.installer_env({"PATH": "/usr/bin"}, plan.layout, 1700000000.25, {"SSL_CERT_FILE": "/ca.pem"})
    code = bootstrap.install_steps(plan, runner, reporter, environ, exists=lambda path: False)
    assert code == 3
    noninteractive = {"DEBIAN_FRONTEND": "noninteractive"}
    assert runner.calls[:-1] == [
        ("run", [py, "-c", "import ensurepip, venv"], None),
        ("run", ["apt-get", "-o", "DPkg::Lock::Timeout=600", "update"], noninteractive),
        ("run", ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "python3-venv"], noninteractive),
        ("run", [py, "-m", "venv", "/prefix/hub"], None),
        ("run", ["/prefix/hub/bin/python3", "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                 "uv>=0.10"], None),
        ("write_file", "/prefix/hub/uv-excludes.txt", bootstrap.uv_excludes_text()),
        ("run", ["/prefix/hub/bin/uv", "pip", "install", "--python", "/prefix/hub/bin/python3", "--compile-bytecode",
                 "--excludes", "/prefix/hub/uv-excludes.txt", "--upgrade-package", "tljh-lite", "tljh-lite[hub]"],
         None),
    ]
    kind, cmd, stdin_text, env = runner.calls[-1]
    # The installer's own options, as the professor typed them; --show-progress-page is bootstrap's.
    assert cmd == [
        "/prefix/hub/bin/python3", "-m", "tljh_lite.installer", "--distro", "debian:12",
        "--plugin", "a", "b", "--user-requirements-txt-url", "https://example.org/r.txt",
    ]
    admins = json.loads(stdin_text)["admins"]
    assert admins[0] == {"name": "prof", "password": "password:1", "generated": False}
    assert admins[1]["name"] == "ta" and admins[1]["generated"] is True and len(admins[1]["password"]) >= 16
    assert not any(a["password"] in " ".join(map(str, call[1])) for a in admins for call in runner.calls)
    assert env == {
        "PATH": "/usr/bin",
        "SSL_CERT_FILE": "/ca.pem",
        "TLJH_INSTALL_PREFIX": "/prefix",
        "TLJH_LITE_STARTED_AT": "1700000000.25",
        "TLJH_LITE_LOG": "/prefix/installer.log",
    }
    headings = [line.split("] ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert headings == [
        "Installing python3-venv",
        "Creating the hub environment /prefix/hub",
        "Installing uv",
        "Installing tljh-lite and JupyterHub into the hub environment",
        "Handing over to the tljh-lite installer",
    ]


def test_a_re_run_keeps_the_venv_and_uv_and_rebuilds_a_checkout():
    plan = make_plan([], checkout=True)
    runner = RecordingRunner()
    reporter = bootstrap.Reporter(time.time())
    code = bootstrap.install_steps(plan, runner, reporter, {}, exists=lambda path: True)
    assert code == 0
    commands = [call[1][:3] for call in runner.calls if call[0] != "write_file"]
    assert commands == [
        [sys.executable, "-c", "import ensurepip, venv"],
        ["/prefix/hub/bin/uv", "pip", "install"],
        ["/prefix/hub/bin/python3", "-m", "tljh_lite.installer"],
    ]
    assert "--reinstall-package" in runner.calls[2][1]
    assert json.loads(runner.calls[-1][2]) == {"admins": []}


def test_headings_show_seconds_since_start(capsys):
    clock = iter([104.25]).__next__
    bootstrap.Reporter(100.0, clock=clock).step("Creating the hub environment")
    assert capsys.readouterr().out == "==> [  4.2s] Creating the hub environment\n"


def test_the_progress_page_unit():
    cmd = bootstrap.progress_page_command("/usr/bin/python3", "/opt/tljh/installer.log")
    assert cmd[:4] == ["systemd-run", "--unit=tljh-progress-page", "--collect", "/usr/bin/python3"]
    assert cmd[4:] == ["-c", bootstrap.PROGRESS_PAGE_CODE, "/opt/tljh/installer.log"]


def test_a_progress_page_that_cannot_start_warns_and_goes_on(capsys):
    runner = RecordingRunner(fail={" ".join(bootstrap.progress_page_command("py", "/log"))})
    reporter = bootstrap.Reporter(time.time())
    assert not bootstrap.start_progress_page(runner, reporter, FakeMachine(), "py", "/log")
    assert "warning: the progress page did not start" in capsys.readouterr().err
    assert not bootstrap.start_progress_page(RecordingRunner(), reporter, FakeMachine(can_bind=False), "py", "/log")
    assert "warning: port 80 is in use" in capsys.readouterr().err
    assert bootstrap.start_progress_page(RecordingRunner(), reporter, FakeMachine(), "py", "/log")


# ---------------------------------------------------------------- the log and the runner (real processes, temporary files)


def test_the_prefix_is_created_0755_and_a_bad_one_is_one_line(tmp_path):
    old_umask = os.umask(0o077)
    try:
        log = bootstrap.make_prefix_and_log(bootstrap.Layout(str(tmp_path / "opt" / "tljh")))
        log.close()
    finally:
        os.umask(old_umask)
    assert (tmp_path / "opt" / "tljh").stat().st_mode & 0o777 == 0o755
    (tmp_path / "file").write_text("")
    with pytest.raises(BootstrapError, match="cannot create .*; make .* a writable directory"):
        bootstrap.make_prefix_and_log(bootstrap.Layout(str(tmp_path / "file" / "tljh")))


def test_the_log_is_private_and_appended(tmp_path):
    path = tmp_path / "installer.log"
    path.write_text("earlier run\n")
    path.chmod(0o644)
    old_umask = os.umask(0)
    try:
        log = bootstrap.Log(str(path))
        log.write_line("this run")
        log.close()
        fresh = bootstrap.Log(str(tmp_path / "new.log"))
        fresh.close()
    finally:
        os.umask(old_umask)
    assert path.read_text() == "earlier run\nthis run\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new.log").stat().st_mode & 0o777 == 0o600


def test_the_runner_sends_output_to_the_log(tmp_path):
    log = bootstrap.Log(str(tmp_path / "installer.log"))
    runner = bootstrap.Runner(log, {"GREETING": "hello", "PATH": os.environ["PATH"]})
    code = runner.run([sys.executable, "-c", "import os; print(os.environ['GREETING'], os.environ['EXTRA'])"], 60,
                      extra_env={"EXTRA": "there"})
    log.close()
    assert code == 0
    text = (tmp_path / "installer.log").read_text()
    assert "$ " in text and "hello there\n[exit 0]\n" in text


def test_a_failed_command_shows_its_last_lines_and_the_log(tmp_path, capsys):
    log = bootstrap.Log(str(tmp_path / "installer.log"))
    log.write_line("noise from an earlier command")
    runner = bootstrap.Runner(log, dict(os.environ))
    script = "import sys\nfor i in range(30): print('line', i)\nsys.exit(3)"
    with pytest.raises(BootstrapError) as e:
        runner.run([sys.executable, "-c", script], 60)
    assert e.value.output == [f"line {i}" for i in range(10, 30)]
    assert "failed with exit code 3; the full log is " + str(tmp_path / "installer.log") in str(e.value)
    bootstrap.report_failure(e.value)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "    line 10" and err[-1].startswith("error: ") and len(err) == 21
    assert runner.run([sys.executable, "-c", "raise SystemExit(4)"], 60, check=False) == 4
    log.close()


def test_a_slow_or_missing_command_is_reported(tmp_path):
    log = bootstrap.Log(str(tmp_path / "installer.log"))
    runner = bootstrap.Runner(log, dict(os.environ))
    with pytest.raises(BootstrapError, match="did not finish in 0 s"):
        runner.run([sys.executable, "-c", "import time; time.sleep(30)"], 0.3)
    with pytest.raises(BootstrapError, match="cannot run /no/such/program"):
        runner.run(["/no/such/program"], 10)
    log.close()


# ---------------------------------------------------------------- the progress page


def load_page():
    namespace = {"__name__": "progress_page"}
    exec(compile(bootstrap.PROGRESS_PAGE_CODE, "progress_page", "exec"), namespace)
    return namespace


def test_the_progress_page_shows_the_last_lines_escaped(tmp_path):
    log = tmp_path / "installer.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)) + "<script>alert(1)</script> & done\n")
    page = load_page()["render"](str(log)).decode()
    assert "line 61\n" in page and "line 60\n" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; done" in page and "<script>" not in page
    assert 'http-equiv="refresh"' in page


def test_the_progress_page_renders_before_the_log_exists(tmp_path):
    assert b"JupyterHub is being installed" in load_page()["render"](str(tmp_path / "missing.log"))


def test_the_progress_page_serves_http(tmp_path):
    log = tmp_path / "installer.log"
    log.write_text("==> [  1.0s] Creating the hub environment\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", bootstrap.PROGRESS_PAGE_CODE, str(log), str(port)])
    try:
        assert bootstrap.Machine().port_answers(port, timeout=10)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/login", timeout=10) as response:
            assert response.status == 200
            assert "Creating the hub environment" in response.read().decode()
    finally:
        server.kill()
        server.wait(timeout=10)


# ---------------------------------------------------------------- the script as a file, and piped into Python


SOURCE = SCRIPT.read_text()
SYSTEM_PYTHON = "/usr/bin/python3"


def imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("code", [SOURCE, bootstrap.PROGRESS_PAGE_CODE], ids=["bootstrap", "progress-page"])
def test_only_the_standard_library_is_imported(code):
    modules = set(imported_modules(ast.parse(code)))
    assert modules and modules <= set(sys.stdlib_module_names)


def test_the_script_compiles_cleanly_for_python_3_10_and_later():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # invalid escapes are errors-to-be on 3.12+
        compile(SOURCE, str(SCRIPT), "exec")
        compile(bootstrap.PROGRESS_PAGE_CODE, "progress_page", "exec")
    ast.parse(SOURCE, feature_version=(3, 10))
    ast.parse(SOURCE, feature_version=(3, 8))  # older Pythons reach the "too old" check


def test_nothing_runs_until_the_last_line():
    """Top level holds only definitions, so a truncated download does nothing."""
    tree = ast.parse(SOURCE)
    *body, last = tree.body
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)
    for node in body:
        is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        assert is_docstring or isinstance(node, allowed), ast.dump(node)[:80]
        if isinstance(node, ast.Assign):  # constants only: no calls except re.compile
            calls = [n for n in ast.walk(node.value) if isinstance(n, ast.Call)]
            assert all(ast.unparse(c.func) == "re.compile" for c in calls), ast.unparse(node)
    assert ast.unparse(last) == "if __name__ == '__main__':\n    sys.exit(main())"
    assert SOURCE.rstrip().splitlines()[-1] == "    sys.exit(main())"


def test_the_docstrings_section_index_lists_every_section_in_order():
    index = re.findall(r"^- (.+?): ", bootstrap.__doc__, re.MULTILINE)
    sections = re.findall(r"^# -{10,} (.+)$", SOURCE, re.MULTILINE)
    assert index == sections


def pipe_into_python(source, *args, env=None):
    """Run `python3 - ARGS` with the script on stdin, as a non-root user (nobody) when we are root.

    As root, use the system's python3, as a professor would: nobody may not be
    allowed to run the test's own interpreter (here it lives under /root).
    """
    if os.geteuid() == 0:
        if not os.path.exists(SYSTEM_PYTHON):
            pytest.skip(f"running as root without {SYSTEM_PYTHON} to run as nobody")
        python, user = SYSTEM_PYTHON, {"user": 65534, "group": 65534, "extra_groups": []}
    else:
        python, user = sys.executable, {}
    return subprocess.run(
        [python, "-", *args], input=source, capture_output=True, text=True, timeout=60, cwd="/", env=env, **user
    )


def test_help_works_when_piped_into_python_as_any_user():
    result = pipe_into_python(SOURCE, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: bootstrap.py") and "--show-progress-page" in result.stdout
    assert result.stderr == ""


def test_piped_in_as_a_user_it_refuses_in_one_line_and_creates_nothing(tmp_path):
    prefix = tmp_path / "prefix"
    env = {"PATH": os.environ["PATH"], "TLJH_INSTALL_PREFIX": str(prefix)}
    if os.geteuid() == 0:
        tmp_path.chmod(0o777)  # so the test would see it if the user could create the prefix
    result = pipe_into_python(SOURCE, "--admin", "prof:password1", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: this installer must run as root; pipe it into 'sudo python3 -'")
    assert "password1" not in result.stderr
    assert not prefix.exists()


def test_a_truncated_download_does_nothing():
    lines = SOURCE.splitlines(keepends=True)
    for cut in (len(lines) - 1, len(lines) // 2):
        result = pipe_into_python("".join(lines[:cut]), "--admin", "prof")
        assert result.stdout == "" and "error: this installer" not in result.stderr


def test_the_excludes_file_lists_each_package_on_its_own_line_and_is_written_whole(tmp_path):
    text = bootstrap.uv_excludes_text()
    assert [line for line in text.splitlines() if not line.startswith("#")] == bootstrap.UV_EXCLUDES
    log = bootstrap.Log(str(tmp_path / "installer.log"))
    target = tmp_path / "uv-excludes.txt"
    bootstrap.Runner(log, {}).write_file(str(target), text)
    assert target.read_text() == text and sorted(os.listdir(tmp_path)) == ["installer.log", "uv-excludes.txt"]
