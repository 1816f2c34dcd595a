"""The apt plan for Debian and Ubuntu (Ubuntu has no test machine here)."""

import pytest

from tljh_lite.runner import CommandError, Result
from tljh_lite.apt import (
    LOCK_TIMEOUT,
    PROXY_PACKAGE,
    Distro,
    apt_get,
    ensure_apt_packages,
    install_command,
    missing_packages,
    run_apt,
    universe_commands,
    with_proxy_fallback,
)

from fakes import RecordingRunner
from tljh_lite.builtin import APT_PACKAGES


def test_distro_parsing():
    assert Distro.parse("debian:12") == Distro("debian", "12")
    assert Distro.parse("Ubuntu:22.04") == Distro("ubuntu", "22.04")


def test_missing_packages_keeps_order_and_drops_installed_and_duplicates():
    assert missing_packages(["a", "b", "a", "c"], {"b"}) == ["a", "c"]


def test_debian_needs_no_extra_repository():
    assert universe_commands(Distro("debian", "12"), has_add_apt_repository=False) == []
    assert universe_commands(Distro("debian", "13"), has_add_apt_repository=True) == []


def test_ubuntu_enables_universe_where_the_proxy_package_lives():
    assert universe_commands(Distro("ubuntu", "24.04"), has_add_apt_repository=True) == [
        ["add-apt-repository", "-y", "universe"]
    ]
    assert universe_commands(Distro("ubuntu", "22.04"), has_add_apt_repository=False) == [
        apt_get("update"),
        apt_get("install", "-y", "software-properties-common"),
        ["add-apt-repository", "-y", "universe"],
    ]


def test_npm_is_the_fallback_when_the_distribution_lacks_the_proxy():
    assert with_proxy_fallback([PROXY_PACKAGE, "git"], proxy_available=True) == [PROXY_PACKAGE, "git"]
    assert with_proxy_fallback([PROXY_PACKAGE, "git"], proxy_available=False) == ["git", "nodejs", "npm"]


def test_install_command_is_non_interactive_and_lean():
    assert install_command(["git"]) == [
        "apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "git"
    ]


def dpkg(installed):
    return Result([], 0, "".join(f"{p} ii \n" for p in installed), "")


def test_nothing_to_do_runs_no_apt_command():
    runner = RecordingRunner({("dpkg-query",): dpkg([PROXY_PACKAGE, "git", "sudo", "quota"])})
    assert ensure_apt_packages(runner, Distro("debian", "12"), APT_PACKAGES) == []
    assert [c[0] for c in runner.calls] == ["dpkg-query"]


def test_ubuntu_plan_runs_universe_update_install():
    runner = RecordingRunner(
        {
            ("dpkg-query",): dpkg(["sudo", "quota"]),
            ("apt-cache", "policy"): Result([], 0, f"{PROXY_PACKAGE}:\n  Candidate: 4.5.3\n", ""),
        }
    )
    ensure_apt_packages(runner, Distro("ubuntu", "24.04"), [*APT_PACKAGES, "htop"])
    commands = [c for c in runner.calls if c[0] != "dpkg-query"]
    assert ["add-apt-repository", "-y", "universe"] in commands
    assert commands[-1] == install_command([PROXY_PACKAGE, "git", "htop"])
    assert commands.index(apt_get("update")) < len(commands) - 1


def test_debian_without_the_proxy_package_installs_it_with_npm():
    runner = RecordingRunner(
        {
            ("dpkg-query",): dpkg(["git", "sudo", "quota"]),
            ("apt-cache", "policy"): Result([], 0, f"{PROXY_PACKAGE}:\n  Candidate: (none)\n", ""),
        }
    )
    ensure_apt_packages(runner, Distro("debian", "12"), APT_PACKAGES)
    assert install_command(["nodejs", "npm"]) in runner.calls
    assert runner.calls[-1] == ["npm", "install", "--global", "configurable-http-proxy"]


def test_every_apt_get_command_waits_for_the_dpkg_lock(monkeypatch):
    # Fresh Ubuntu cloud images run unattended-upgrades at first boot.
    from tljh_lite import apt

    monkeypatch.setattr(apt.shutil, "which", lambda name: None)  # no add-apt-repository yet
    runner = RecordingRunner(
        {
            ("dpkg-query",): dpkg([]),
            ("apt-cache", "policy"): Result([], 0, f"{PROXY_PACKAGE}:\n  Candidate: (none)\n", ""),
        }
    )
    ensure_apt_packages(runner, Distro("ubuntu", "22.04"), APT_PACKAGES)
    apt_commands = [c for c in runner.calls if c[0] == "apt-get"]
    assert len(apt_commands) == 4  # update, install software-properties-common, update, install
    for command in apt_commands:
        assert command[1:3] == ["-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT}"], command
    assert LOCK_TIMEOUT == 600


class LockedRunner(RecordingRunner):
    """apt-get fails on the lists lock `locked_times` times, then works."""

    def __init__(self, locked_times, output="E: Could not get lock /var/lib/apt/lists/lock. It is held by process 7"):
        super().__init__()
        self.locked_times, self.output = locked_times, output

    def _execute(self, argv, *, input, env, timeout):
        self.calls.append(argv)
        if len(self.calls) <= self.locked_times:
            return Result(argv, 100, "Reading package lists...\n", self.output + "\n")
        return Result(argv, 0, "", "")


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_apt_get_update_is_tried_again_while_another_apt_holds_the_lists_lock():
    # DPkg::Lock::Timeout does not cover the lists lock: apt-get update fails at once (apt 2.6, 3.0).
    runner, clock = LockedRunner(locked_times=3), FakeClock()
    assert run_apt(runner, apt_get("update"), {}, sleep=clock.sleep, clock=clock).ok
    assert runner.calls == [apt_get("update")] * 4
    assert clock.now == 15


def test_a_lock_held_for_longer_than_the_timeout_fails_with_apts_message():
    runner, clock = LockedRunner(locked_times=10**6), FakeClock()
    with pytest.raises(CommandError, match="Could not get lock") as error:
        run_apt(runner, apt_get("update"), {}, hint="check apt", sleep=clock.sleep, clock=clock)
    assert error.value.hint == "check apt"
    assert LOCK_TIMEOUT <= clock.now <= LOCK_TIMEOUT + 5


def test_other_apt_failures_are_not_retried():
    runner, clock = LockedRunner(locked_times=1, output="E: Unable to locate package nope"), FakeClock()
    with pytest.raises(CommandError, match="Unable to locate package"):
        run_apt(runner, install_command(["nope"]), {}, sleep=clock.sleep, clock=clock)
    assert len(runner.calls) == 1 and clock.now == 0
