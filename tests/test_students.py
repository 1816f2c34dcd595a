"""What a student's server, shell and account get: unit properties, new-user hook
markers, the sshd drop-in, the profile script, sudoers and user site-packages."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from tljh_lite.runner import Result
from tljh_lite.errors import TljhError
from tljh_lite.installer.userenv import ensure_user_site, with_user_site
from tljh_lite.paths import Paths
from tljh_lite.students.markers import NewUserMarkers
from tljh_lite.students.shell import ensure_profile_script, profile_script
from tljh_lite.students.ssh import DROP_IN_TEXT, denies, ensure_no_ssh
from tljh_lite.students.unit import unit_properties
from tljh_lite.users.accounts import SUDOERS_TEXT

from fakes import RecordingRunner


# --- the server's unit ---------------------------------------------------------

def test_a_students_server_sees_only_her_processes_shm_and_ipc_and_never_gains_privileges():
    props = unit_properties({}, admin=False)
    assert props["ProtectProc"] == "invisible"
    assert props["TemporaryFileSystem"] == "/dev/shm:mode=1777"
    assert props["PrivateIPC"] == "yes"
    assert props["NoNewPrivileges"] == "yes"
    assert props["Environment"] == "JUPYTER_RUNTIME_DIR=/dev/shm/jupyter-runtime"  # a full home still starts


def test_an_admins_server_is_isolated_too_but_may_sudo():
    props = unit_properties({}, admin=True)
    assert props["ProtectProc"] == "invisible" and props["PrivateIPC"] == "yes"
    assert "NoNewPrivileges" not in props


def test_a_students_server_finds_no_node_and_an_admins_does():
    # JupyterLab runs node at every start when it finds it (docs/performance.md).
    hidden = unit_properties({}, admin=False)["InaccessiblePaths"].split()
    assert {"-/usr/bin/node", "-/usr/bin/nodejs"} <= set(hidden)
    assert "InaccessiblePaths" not in unit_properties({}, admin=True)
    # A course that needs node for its students says so in the config.
    assert unit_properties({"InaccessiblePaths": ""}, admin=False)["InaccessiblePaths"] == ""


def test_with_limits_memory_a_server_may_swap_half_as_much_again_and_no_more():
    assert unit_properties({}, admin=False, mem_limit=1024**3)["MemorySwapMax"] == str(512 * 1024**2)
    assert unit_properties({}, admin=True, mem_limit=256 * 1024**2)["MemorySwapMax"] == str(128 * 1024**2)
    assert "MemorySwapMax" not in unit_properties({}, admin=False)  # no limit, no cap (as systemd's default)
    assert unit_properties({"MemorySwapMax": "0"}, admin=False, mem_limit=1024**3)["MemorySwapMax"] == "0"


def test_the_config_may_change_isolation_but_never_a_students_no_new_privileges():
    configured = {"NoNewPrivileges": "no", "ProtectProc": "default", "DeviceAllow": "/dev/nvidia0 rw"}
    student = unit_properties(configured, admin=False)
    assert student["NoNewPrivileges"] == "yes"
    assert student["ProtectProc"] == "default" and student["DeviceAllow"] == "/dev/nvidia0 rw"
    assert unit_properties(configured, admin=True)["NoNewPrivileges"] == "no"
    assert configured == {"NoNewPrivileges": "no", "ProtectProc": "default", "DeviceAllow": "/dev/nvidia0 rw"}


# --- new-user hook markers -----------------------------------------------------

class FlakyHooks:
    def __init__(self, failures: int):
        self.failures, self.calls = failures, []

    def __call__(self, account):
        self.calls.append(account)
        if len(self.calls) <= self.failures:
            raise RuntimeError("plugin failed")


def start(markers: NewUserMarkers, accounts: set, name: str, hooks) -> None:
    """What the spawner does at each server start (tljh_lite.hub.spawner._ensure_account)."""
    if name not in accounts:
        markers.expect(name)
        accounts.add(name)
    markers.run_if_owed(name, hooks)


def test_the_first_accounts_failed_hook_is_retried_until_it_succeeds_then_never_again(tmp_path):
    markers, accounts, hooks = NewUserMarkers(tmp_path / "hooks"), set(), FlakyHooks(failures=2)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            start(markers, accounts, "jupyter-alice", hooks)
    start(markers, accounts, "jupyter-alice", hooks)
    start(markers, accounts, "jupyter-alice", hooks)
    assert hooks.calls == ["jupyter-alice"] * 3


def test_accounts_made_before_the_markers_never_rerun_the_hooks(tmp_path):
    markers, hooks = NewUserMarkers(tmp_path / "hooks"), FlakyHooks(failures=0)
    accounts = {"jupyter-old"}  # made by an earlier version, or its hooks finished
    start(markers, accounts, "jupyter-new", hooks)  # the marker folder exists from now on
    start(markers, accounts, "jupyter-old", hooks)
    start(markers, accounts, "jupyter-new", hooks)
    assert hooks.calls == ["jupyter-new"]


def test_a_crash_between_marker_and_account_still_runs_the_hooks(tmp_path):
    markers, hooks = NewUserMarkers(tmp_path / "hooks"), FlakyHooks(failures=0)
    markers.expect("jupyter-alice")  # then useradd failed: no account
    start(markers, set(), "jupyter-alice", hooks)
    assert hooks.calls == ["jupyter-alice"]


def test_markers_are_private(tmp_path):
    markers = NewUserMarkers(tmp_path / "hooks")
    markers.expect("jupyter-alice")
    assert stat.S_IMODE((tmp_path / "hooks").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "hooks" / "pending").stat().st_mode) == 0o700


# --- sshd --------------------------------------------------------------------

SSHD_T_OK = "port 22\ndenygroups jupyterhub-users jupyterhub-admins\nusepam yes\n"


@pytest.fixture
def sshd_paths(tmp_path):
    sshd = tmp_path / "sshd"
    sshd.write_text("")
    return {"drop_in": tmp_path / "ssh" / "sshd_config.d" / "tljh-lite.conf", "sshd": sshd,
            "privsep_dir": tmp_path / "run-sshd"}


def test_hub_accounts_are_denied_ssh_and_sshd_reloads_after_its_check(sshd_paths):
    runner = RecordingRunner({("{}".format(sshd_paths["sshd"]),): Result([], 0, SSHD_T_OK, "")})
    assert ensure_no_ssh(runner, **sshd_paths) is True
    assert sshd_paths["drop_in"].read_text() == DROP_IN_TEXT
    assert "DenyGroups jupyterhub-users jupyterhub-admins\n" in DROP_IN_TEXT
    assert stat.S_IMODE(sshd_paths["drop_in"].stat().st_mode) == 0o644
    assert runner.calls == [[str(sshd_paths["sshd"]), "-T"], ["systemctl", "try-reload-or-restart", "ssh.service"]]
    assert sshd_paths["privsep_dir"].is_dir()
    assert ensure_no_ssh(runner, **sshd_paths) is False
    assert len(runner.calls) == 2


def test_without_sshd_the_drop_in_waits_for_a_later_install(sshd_paths):
    sshd_paths["sshd"].unlink()
    runner = RecordingRunner()
    assert ensure_no_ssh(runner, **sshd_paths) is True
    assert sshd_paths["drop_in"].read_text() == DROP_IN_TEXT
    assert runner.calls == []


def test_a_config_sshd_rejects_is_put_back_and_sshd_is_not_reloaded(sshd_paths):
    sshd_paths["drop_in"].parent.mkdir(parents=True)
    sshd_paths["drop_in"].write_text("# an older one\n")
    runner = RecordingRunner({(str(sshd_paths["sshd"]),): Result([], 255, "", "line 3: Bad configuration option\n")})
    with pytest.raises(TljhError, match="Bad configuration option") as raised:
        ensure_no_ssh(runner, **sshd_paths)
    assert "sshd -t" in raised.value.one_line()
    assert sshd_paths["drop_in"].read_text() == "# an older one\n"
    assert len(runner.calls) == 1


def test_an_sshd_that_does_not_read_the_drop_in_folder_is_an_error(sshd_paths):
    runner = RecordingRunner({(str(sshd_paths["sshd"]),): Result([], 0, "port 22\nusepam yes\n", "")})
    with pytest.raises(TljhError, match="Include .*sshd_config.d/\\*.conf"):
        ensure_no_ssh(runner, **sshd_paths)
    assert not sshd_paths["drop_in"].exists()


def test_denies_reads_sshd_T_output():
    assert denies(SSHD_T_OK, ("jupyterhub-users", "jupyterhub-admins"))
    assert denies("denygroups other\ndenygroups jupyterhub-users\n", ("jupyterhub-users",))
    assert not denies("denyusers jupyterhub-users\n", ("jupyterhub-users",))


# --- login shells ---------------------------------------------------------------

def run_profile(tmp_path, groups: str, path: str = "/usr/local/bin:/usr/bin:/bin", times: int = 1) -> str:
    """Source the script in sh, as /etc/profile does, with `id -Gn` answering `groups`."""
    script = tmp_path / "tljh-lite-user-env.sh"
    script.write_text(profile_script(Paths()))
    fake_bin = tmp_path / "fakebin"
    fake_bin.mkdir(exist_ok=True)
    (fake_bin / "id").write_text(f"#!/bin/sh\necho '{groups}'\n")
    (fake_bin / "id").chmod(0o755)
    source = "; ".join([f". {script}"] * times)
    done = subprocess.run(["/bin/sh", "-c", f"PATH={fake_bin}:{path}; {source}; echo \"$PATH\""],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().replace(f"{fake_bin}:", "")


def test_hub_users_login_shells_find_the_course_environment_first(tmp_path):
    assert run_profile(tmp_path, "jupyter-alice jupyterhub-users") == "/opt/tljh/user/bin:/usr/local/bin:/usr/bin:/bin"
    assert run_profile(tmp_path, "jupyter-prof jupyterhub-users jupyterhub-admins", times=2).count("/opt/tljh/user/bin") == 1


def test_other_accounts_and_root_keep_their_path(tmp_path):
    assert run_profile(tmp_path, "root") == "/usr/local/bin:/usr/bin:/bin"
    assert run_profile(tmp_path, "debian sudo jupyterhub-users-old") == "/usr/local/bin:/usr/bin:/bin"


def test_the_profile_script_is_written_once_readable_by_all(tmp_path):
    target = tmp_path / "profile.d" / "tljh-lite-user-env.sh"
    assert ensure_profile_script(Paths(), target) is True
    assert ensure_profile_script(Paths(), target) is False
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


# --- sudo for admins ------------------------------------------------------------

def test_admins_sudo_keeps_their_path_so_sudo_pip_reaches_the_course_environment():
    lines = [line for line in SUDOERS_TEXT.splitlines() if line and not line.startswith("#")]
    assert lines == ["%jupyterhub-admins ALL = (ALL) NOPASSWD: ALL", "Defaults exempt_group = jupyterhub-admins"]


@pytest.mark.skipif(not os.path.exists("/usr/sbin/visudo"), reason="no visudo on this machine")
def test_visudo_accepts_the_sudoers_text(tmp_path):
    path = tmp_path / "sudoers"
    path.write_text(SUDOERS_TEXT)
    subprocess.run(["/usr/sbin/visudo", "-cf", str(path)], check=True, capture_output=True)


# --- students' own packages -----------------------------------------------------

UV_PYVENV = "home = /usr/bin\nimplementation = CPython\nuv = 0.13.9\ninclude-system-site-packages = false\nseed = true\n"


def test_user_site_packages_are_turned_on_in_pyvenv_cfg():
    assert with_user_site(UV_PYVENV) == UV_PYVENV.replace("= false", "= true")
    assert with_user_site("home = /usr/bin\n") == "home = /usr/bin\ninclude-system-site-packages = true\n"
    assert with_user_site(with_user_site(UV_PYVENV)) == with_user_site(UV_PYVENV)


def test_ensure_user_site_changes_the_file_once(tmp_path):
    paths = Paths(tmp_path)
    paths.user_venv.mkdir()
    (paths.user_venv / "pyvenv.cfg").write_text(UV_PYVENV)
    assert ensure_user_site(paths) is True
    assert "include-system-site-packages = true\n" in (paths.user_venv / "pyvenv.cfg").read_text()
    assert ensure_user_site(paths) is False
