"""The apt plan for Debian and Ubuntu (Ubuntu has no test machine here)."""

from tljh_lite.commands import Result
from tljh_lite.installer.apt import (
    PROXY_PACKAGE,
    Distro,
    ensure_apt_packages,
    install_command,
    missing_packages,
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
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "software-properties-common"],
        ["add-apt-repository", "-y", "universe"],
    ]


def test_npm_is_the_fallback_when_the_distribution_lacks_the_proxy():
    assert with_proxy_fallback([PROXY_PACKAGE, "git"], proxy_available=True) == [PROXY_PACKAGE, "git"]
    assert with_proxy_fallback([PROXY_PACKAGE, "git"], proxy_available=False) == ["git", "nodejs", "npm"]


def test_install_command_is_non_interactive_and_lean():
    assert install_command(["git"]) == ["apt-get", "install", "-y", "--no-install-recommends", "git"]


def dpkg(installed):
    return Result([], 0, "".join(f"{p} ii \n" for p in installed), "")


def test_nothing_to_do_runs_no_apt_command():
    runner = RecordingRunner({("dpkg-query",): dpkg([PROXY_PACKAGE, "git", "sudo"])})
    assert ensure_apt_packages(runner, Distro("debian", "12"), APT_PACKAGES) == []
    assert [c[0] for c in runner.calls] == ["dpkg-query"]


def test_ubuntu_plan_runs_universe_update_install():
    runner = RecordingRunner(
        {
            ("dpkg-query",): dpkg(["sudo"]),
            ("apt-cache", "policy"): Result([], 0, f"{PROXY_PACKAGE}:\n  Candidate: 4.5.3\n", ""),
        }
    )
    ensure_apt_packages(runner, Distro("ubuntu", "24.04"), [*APT_PACKAGES, "htop"])
    commands = [c for c in runner.calls if c[0] != "dpkg-query"]
    assert ["add-apt-repository", "-y", "universe"] in commands
    assert commands[-1] == install_command([PROXY_PACKAGE, "git", "htop"])
    assert commands.index(["apt-get", "update"]) < len(commands) - 1


def test_debian_without_the_proxy_package_installs_it_with_npm():
    runner = RecordingRunner(
        {
            ("dpkg-query",): dpkg(["git", "sudo"]),
            ("apt-cache", "policy"): Result([], 0, f"{PROXY_PACKAGE}:\n  Candidate: (none)\n", ""),
        }
    )
    ensure_apt_packages(runner, Distro("debian", "12"), APT_PACKAGES)
    assert install_command(["nodejs", "npm"]) in runner.calls
    assert runner.calls[-1] == ["npm", "install", "--global", "configurable-http-proxy"]
