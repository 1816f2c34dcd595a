"""A bundle as the package writes it and bootstrap reads it: the manifest, every member's sum, and
the checks against the machine that come before anything changes (docs/offline.md)."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from tljh_lite.bundle.create import write_bundle
from tljh_lite.bundle.manifest import Manifest

from bootstrap_fakes import FakeMachine, OS_RELEASES, bootstrap

WHEEL = "wheels/jupyterhub-6.1.1-py3-none-any.whl"
DEB = "debs/zlib1g_1%3a1.3.dfsg+really1.3.1-1+deb13u1_amd64.deb"


def manifest(**overrides) -> Manifest:
    values = dict(tljh_lite="0.3.0", jupyterhub="6.1.1", release="bookworm", distro="debian:12",
                  architecture="amd64", python="3.11", created="2026-01-01T00:00:00+00:00",
                  plugins=["tljh-lite-shared-folders==0.1.0"], apt_packages=["git"], user_requirements=True)
    values.update(overrides)
    return Manifest(**values)


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    made = {}
    for name, data in {"bootstrap.py": b"print('hi')\n", WHEEL: b"wheel" * 1000, DEB: b"deb" * 500,
                       "debs/Packages": b"Package: zlib1g\n", "user-requirements.txt": b"numpy\n"}.items():
        path = tmp_path / "src" / name.replace("/", "_")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        made[name] = path
    return made


def make(tmp_path, files, **overrides) -> Path:
    m = manifest(**overrides)
    for name, path in files.items():
        m.add(name, path)
    out = tmp_path / "bundle.tar"
    write_bundle(out, m, files)
    return out


def test_the_manifest_survives_json_and_sums_every_member(files):
    m = manifest()
    for name, path in files.items():
        m.add(name, path)
    again = Manifest.from_json(m.to_json())
    assert again == m
    assert again.files[WHEEL]["size"] == 5000 and len(again.files[WHEEL]["sha256"]) == 64
    assert m.total_size() == sum(p.stat().st_size for p in files.values())


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "wheels/../../x", "other/x.whl", "wheels/a/b.whl",
                                  ".hidden", "wheels/.gitignore", "debs/a b.deb"])
def test_a_name_a_bundle_may_not_hold_is_refused_by_both(tmp_path, name):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    with pytest.raises(ValueError):
        manifest().add(name, path)
    assert not bootstrap.BUNDLE_MEMBER_NAME.match(name)


def test_bootstrap_reads_the_manifest_first_and_unpacks_every_member_as_summed(tmp_path, files):
    out = make(tmp_path, files)
    bundle = bootstrap.Bundle.open(str(out))
    assert bundle.manifest["tljh_lite"] == "0.3.0" and bundle.requirement == "tljh-lite[hub]==0.3.0"
    dest = tmp_path / "unpacked"
    dest.mkdir()
    digest = bundle.unpack(str(dest))
    assert digest == __import__("hashlib").sha256(out.read_bytes()).hexdigest()
    for name, path in files.items():
        assert (dest / name).read_bytes() == path.read_bytes()
    assert bundle.unpack(None) == digest  # a dry run checks the same, writing nothing


def rewrite(out: Path, change) -> None:
    """The bundle with its members (name, info, data) passed through change, which may add or drop some."""
    with tarfile.open(out) as tar:
        members = [(m, tar.extractfile(m).read() if m.isreg() else b"") for m in tar]
    members = change(members)
    with tarfile.open(out, "w") as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)


def _flip(members):
    return [(i, data[:10] + bytes([data[10] ^ 1]) + data[11:] if i.name == WHEEL else data) for i, data in members]


def _extra(members):
    info = tarfile.TarInfo("wheels/evil-1.0-py3-none-any.whl")
    return members + [(info, b"evil")]


def _missing(members):
    return [(i, d) for i, d in members if i.name != DEB]


def _link(members):
    link = tarfile.TarInfo(WHEEL)
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    return [(link, b"") if i.name == WHEEL else (i, d) for i, d in members]


def _escape(members):
    info = tarfile.TarInfo("../escaped")
    return members[:1] + [(info, b"x")] + members[1:]


@pytest.mark.parametrize("change, phrase", [
    (_flip, f"is damaged: {WHEEL} does not match its sha256"),
    (_extra, "which its manifest does not list"),
    (_missing, f"is damaged: {DEB} is missing"),
    (_link, "which its manifest does not list"),
    (_escape, "'../escaped', which its manifest does not list"),
])
def test_a_damaged_bundle_is_refused_in_one_line_and_nothing_lands_outside(tmp_path, files, change, phrase):
    out = make(tmp_path, files)
    rewrite(out, change)
    dest = tmp_path / "unpacked"
    dest.mkdir()
    with pytest.raises(bootstrap.BootstrapError) as error:
        bootstrap.Bundle.open(str(out)).unpack(str(dest))
    assert phrase in error.value.message and "\n" not in error.value.one_line()
    assert "compare its sha256" in error.value.message
    assert not (tmp_path / "escaped").exists()  # nothing above the folder it unpacks into
    assert not os.path.islink(dest / WHEEL)  # and no link, to anywhere


def test_a_truncated_bundle_is_damaged(tmp_path, files):
    out = make(tmp_path, files)
    out.write_bytes(out.read_bytes()[: 9000])
    with pytest.raises(bootstrap.BootstrapError) as error:
        bootstrap.Bundle.open(str(out)).unpack(None)
    assert "is damaged" in error.value.message


@pytest.mark.parametrize("content", [b"", b"not a tar at all" * 100, None])
def test_a_file_that_is_no_bundle_says_how_to_make_one(tmp_path, content):
    path = tmp_path / "x.tar"
    if content is None:
        with tarfile.open(path, "w") as tar:
            tar.addfile(tarfile.TarInfo("README"), io.BytesIO(b""))
    else:
        path.write_bytes(content)
    with pytest.raises(bootstrap.BootstrapError) as error:
        bootstrap.Bundle.open(str(path))
    assert "is not a tljh-lite bundle" in error.value.message and "bundle create" in error.value.hint


def test_a_bundle_of_another_format_asks_for_its_own_bootstrap(tmp_path, files):
    out = make(tmp_path, files, format=2)
    with pytest.raises(bootstrap.BootstrapError) as error:
        bootstrap.Bundle.open(str(out))
    assert "format 2" in error.value.message and "tar -xf" in error.value.hint and "bootstrap.py" in error.value.hint


# ---------------------------------------------------------------- the bundle against this machine


def check(**machine):
    facts = dict(distro="debian:12", codename="bookworm", architecture="amd64", python=(3, 11, 2), installed={})
    facts.update(machine)
    bootstrap.check_bundle(json.loads(manifest().to_json()), **facts)


def test_a_bundle_for_this_machine_passes():
    check()
    check(installed={"tljh-lite": "0.3.0", "JupyterHub": "6.1.1"})  # the same again: a re-run
    check(installed={"tljh-lite": "0.2.9", "JupyterHub": "5.4.0"})  # an upgrade


@pytest.mark.parametrize("machine, phrase, hint", [
    (dict(distro="debian:13", codename="trixie"), "the bundle is for debian:12 (bookworm), and this machine is "
     "debian:13 (trixie)", "--release trixie"),
    (dict(architecture="arm64"), "the bundle is for amd64 machines, and this one is arm64", "--arch arm64"),
    (dict(python=(3, 13, 5)), "the bundle's wheels are for Python 3.11, and bootstrap runs on Python 3.13",
     "/usr/bin/python3"),
    (dict(installed={"tljh-lite": "0.3.1"}), "the bundle holds tljh-lite 0.3.0, older than the 0.3.1 installed here",
     "tljh-lite 0.3.1 or newer"),
    (dict(installed={"tljh-lite": "0.3.0", "JupyterHub": "6.2.0"}),
     "the bundle holds JupyterHub 6.1.1, older than the 6.2.0 installed here", "or newer"),
])
def test_a_bundle_not_for_this_machine_is_refused_in_one_line(machine, phrase, hint):
    with pytest.raises(bootstrap.BootstrapError) as error:
        check(**machine)
    assert error.value.message == phrase and hint in error.value.hint


@pytest.mark.parametrize("older, newer", [("0.3.0", "0.3.1"), ("0.3", "0.3.1"), ("0.3.1rc1", "0.3.1"),
                                          ("0.3.1.dev2", "0.3.1a1"), ("0.3.1", "0.3.1.post1"), ("0.9.0", "0.10.0"),
                                          ("5.4.3", "6.1.1")])
def test_versions_compare_as_pep_440_orders_them(older, newer):
    assert bootstrap.version_key(older) < bootstrap.version_key(newer)
    assert bootstrap.version_key(newer) == bootstrap.version_key(newer)


def test_the_installed_versions_are_read_from_the_hub_environment(tmp_path):
    site = tmp_path / "hub" / "lib" / "python3.11" / "site-packages"
    for name in ("tljh_lite-0.3.0.dist-info", "jupyterhub-6.1.1.dist-info", "jupyterhub_idle_culler-1.4.dist-info"):
        (site / name).mkdir(parents=True)
    assert bootstrap.installed_versions(str(tmp_path)) == {"tljh-lite": "0.3.0", "JupyterHub": "6.1.1"}
    assert bootstrap.installed_versions(str(tmp_path / "nothing")) == {}


def test_preflight_names_every_problem_of_a_bundle_with_the_machines(tmp_path, files):
    bundle = bootstrap.Bundle.open(str(make(tmp_path, files)))
    machine = FakeMachine(os_release=OS_RELEASES["debian-13"], python_version=(3, 13, 5), architecture="arm64")
    with pytest.raises(bootstrap.PreflightFailed) as failed:
        bootstrap.preflight(machine, "/opt/tljh", "tljh-lite", "/", bundle)
    [problem] = failed.value.problems  # the first mismatch, in one line: the release
    assert "the bundle is for debian:12 (bookworm)" in problem.message
    ok = bootstrap.preflight(FakeMachine(), "/opt/tljh", "ignored", "/", bundle)
    assert ok == ("debian:12", "tljh-lite[hub]==0.3.0")


def test_preflight_wants_room_to_unpack_the_bundle(tmp_path, files):
    bundle = bootstrap.Bundle.open(str(make(tmp_path, files)))
    with pytest.raises(bootstrap.PreflightFailed) as failed:
        bootstrap.preflight(FakeMachine(free_bytes=100), "/opt/tljh", "tljh-lite", "/", bundle, "/var/tmp")
    assert any("to be unpacked" in p.message and "TMPDIR" in p.hint for p in failed.value.problems)


# ---------------------------------------------------------------- installing from it


def test_apt_pip_and_uv_take_everything_from_the_unpacked_bundle_only(tmp_path):
    env = bootstrap.bundle_env(str(tmp_path))
    wheels = str(tmp_path / "wheels")
    assert env["UV_OFFLINE"] == env["UV_NO_INDEX"] == env["PIP_NO_INDEX"] == "1"
    assert env["UV_FIND_LINKS"] == env["PIP_FIND_LINKS"] == wheels
    conf = Path(env["APT_CONFIG"]).read_text()
    assert f'Dir::Etc::SourceList "{tmp_path}/apt/sources.list";' in conf
    assert f'Dir::State::Lists "{tmp_path}/apt/lists";' in conf  # not the machine's lists
    assert (tmp_path / "apt" / "sources.list").read_text() == f"deb [trusted=yes] file:{tmp_path}/debs ./\n"
    assert list((tmp_path / "apt" / "sources.list.d").iterdir()) == []


def test_the_installer_is_told_the_bundles_plugins_and_requirements(tmp_path, files):
    bundle = bootstrap.Bundle.open(str(make(tmp_path, files)))
    args = bootstrap.parse_args(["--bundle", "b.tar"], {})
    assert bootstrap.bundle_installer_args(bundle, "/var/tmp/x", args) == [
        "--from-bundle", "/var/tmp/x", "--plugin", "tljh-lite-shared-folders==0.1.0",
        "--user-requirements-txt-url", "/var/tmp/x/user-requirements.txt",
    ]
    own = bootstrap.parse_args(["--bundle", "b.tar", "--user-requirements-txt-url", "/root/r.txt"], {})
    assert "--user-requirements-txt-url" not in bootstrap.bundle_installer_args(bundle, "/var/tmp/x", own)


def test_a_bundle_and_a_source_together_are_refused(capsys):
    with pytest.raises(SystemExit) as code:
        bootstrap.parse_args(["--bundle", "b.tar", "--source", "."], {})
    assert code.value.code == 2 and "give --bundle or --source, not both" in capsys.readouterr().err
    assert bootstrap.parse_args(["--bundle", "b.tar"], {"TLJH_LITE_SOURCE": "/src"}).bundle == "b.tar"


def test_a_damaged_bundle_changes_nothing_on_the_machine(tmp_path, files, capsys):
    out = make(tmp_path, files)
    rewrite(out, _flip)
    prefix, unpack = tmp_path / "prefix", tmp_path / "unpack"
    unpack.mkdir()
    machine = FakeMachine(existing={"/", str(tmp_path), str(unpack), "/run/systemd/system"})
    code = bootstrap.main(["--bundle", str(out), "--admin", "prof"],
                          environ={"TLJH_INSTALL_PREFIX": str(prefix), "TMPDIR": str(unpack)}, machine=machine)
    err = capsys.readouterr().err
    assert code == 1 and f"error: --bundle {out} is damaged" in err
    assert not prefix.exists() and list(unpack.iterdir()) == []  # no prefix, no log, no half-unpacked bundle


def test_a_manifest_that_lacks_what_bootstrap_checks_is_no_bundle(tmp_path):
    broken = json.loads(manifest().to_json())
    broken["files"] = {"bootstrap.py": {"sha256": "x"}}  # no size
    path = tmp_path / "b.tar"
    data = json.dumps(broken).encode()
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(bootstrap.BootstrapError) as error:
        bootstrap.Bundle.open(str(path))
    assert "is not a tljh-lite bundle" in error.value.message
