"""The Debian side of a bundle: apt resolves for the target release and architecture, from an apt
state of its own, not for the machine that makes the bundle; the index it writes is a repository
apt installs from. Real apt-get and dpkg-deb, on two small repositories made here (no network)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tljh_lite.bundle.debs import AptState, debian_sources, packages_index
from tljh_lite.bundle.targets import Target
from tljh_lite.errors import TljhError
from tljh_lite.runner import Runner

pytestmark = pytest.mark.skipif(not (shutil.which("apt-get") and shutil.which("dpkg-deb")),
                                reason="needs apt-get and dpkg-deb (a Debian or Ubuntu machine)")

# Two "releases" of the same course tool: each needs its release's own library.
RELEASES = {
    "old": [("course-tool", "1.0", "amd64", "libcourse1"), ("libcourse1", "1.0", "amd64", None),
            ("course-tool", "1.0", "arm64", "libcourse1"), ("libcourse1", "1.0", "arm64", None),
            ("course-data", "1.0", "all", None)],
    "new": [("course-tool", "2.0", "amd64", "libcourse2, course-data"), ("libcourse2", "2.0", "amd64", None),
            ("course-data", "2.0", "all", None)],
}


def deb(folder: Path, name: str, version: str, arch: str, depends: str | None) -> Path:
    root = folder / f"build-{name}-{arch}"
    (root / "DEBIAN").mkdir(parents=True)
    control = f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: Test <t@example.org>\n"
    control += f"Depends: {depends}\n" if depends else ""
    (root / "DEBIAN" / "control").write_text(control + f"Description: {name} for the tests\n")
    out = folder / f"{name}_{version}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(out)], check=True, capture_output=True)
    shutil.rmtree(root)
    return out


@pytest.fixture(scope="module")
def repositories(tmp_path_factory) -> dict[str, Path]:
    made = {}
    for release, packages in RELEASES.items():
        folder = tmp_path_factory.mktemp(f"repo-{release}")
        debs = [deb(folder, *package) for package in packages]
        (folder / "Packages").write_text(packages_index(Runner(), debs))
        made[release] = folder
    return made


def sources(repo: Path) -> str:
    # copy: as http does, apt copies each file into the state's downloads (file: would use it in place).
    return f"Types: deb\nURIs: copy:{repo}\nSuites: ./\nTrusted: yes\n"


def state(tmp_path: Path, repo: Path, architecture: str = "amd64") -> AptState:
    apt = AptState(tmp_path / f"apt-{repo.name}-{architecture}", Target.of("bookworm", architecture), sources(repo),
                   Runner())
    apt.update()
    return apt


def test_the_same_package_resolves_to_each_releases_own_dependencies(tmp_path, repositories):
    old = {d.file for d in state(tmp_path, repositories["old"]).resolve(["course-tool"])}
    new = {d.file for d in state(tmp_path, repositories["new"]).resolve(["course-tool"])}
    assert old == {"course-tool_1.0_amd64.deb", "libcourse1_1.0_amd64.deb"}
    assert new == {"course-tool_2.0_amd64.deb", "libcourse2_2.0_amd64.deb", "course-data_2.0_all.deb"}


def test_the_target_architecture_is_resolved_not_this_machines(tmp_path, repositories):
    arm = {d.file for d in state(tmp_path, repositories["old"], "arm64").resolve(["course-tool", "course-data"])}
    assert arm == {"course-tool_1.0_arm64.deb", "libcourse1_1.0_arm64.deb", "course-data_1.0_all.deb"}


def test_nothing_installed_here_is_left_out_and_downloads_are_kept_for_the_next_bundle(tmp_path, repositories):
    apt = state(tmp_path, repositories["new"])
    files = apt.download(["course-tool"])
    assert sorted(f.name for f in files) == ["course-data_2.0_all.deb", "course-tool_2.0_amd64.deb",
                                              "libcourse2_2.0_amd64.deb"]
    assert all(f.parent == apt.archives and f.is_file() for f in files)
    # Asked again (the next bundle), the same whole set, though all of it is downloaded already.
    assert sorted(f.name for f in apt.download(["course-tool"])) == sorted(f.name for f in files)


def test_a_package_the_release_does_not_have_is_named_in_one_line(tmp_path, repositories):
    with pytest.raises(TljhError) as error:
        state(tmp_path, repositories["old"]).resolve(["course-tool", "no-such-package"])
    assert error.value.message == "Debian 12 (bookworm) has no package no-such-package"


def test_the_index_is_a_repository_apt_installs_from(tmp_path, repositories):
    """What the target does with the bundle's debs/: a flat repository apt reads with no Release file."""
    text = (repositories["new"] / "Packages").read_text()
    stanza = next(s for s in text.split("\n\n") if s.startswith("Package: course-tool"))
    assert "Filename: ./course-tool_2.0_amd64.deb" in stanza and "Depends: libcourse2, course-data" in stanza
    assert "SHA256: " in stanza and "Size: " in stanza
    # The resolution tests above read this very index through apt-get update.


def test_the_real_archive_is_the_releases_with_updates_and_security_and_signed():
    text = debian_sources(Target.of("trixie", "amd64"))
    assert "Suites: trixie trixie-updates\n" in text and "Suites: trixie-security\n" in text
    assert text.count("Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg") == 2
    assert "Trusted" not in text


def test_apt_runs_on_its_own_state_not_the_machines(tmp_path):
    apt = AptState(tmp_path / "s", Target.of("trixie", "arm64"), "", Runner())
    assert set(apt.options()[0::2]) == {"-o"}
    settings = dict(o.split("=", 1) for o in apt.options()[1::2])
    assert settings["Dir::State::status"] == str(tmp_path / "s" / "status")  # empty: nothing installed
    assert settings["Dir::Etc::SourceList"].startswith(str(tmp_path)) and settings["APT::Architecture"] == "arm64"
    assert settings["Dir::Etc::Preferences"].startswith(str(tmp_path))  # this machine's pins do not apply
