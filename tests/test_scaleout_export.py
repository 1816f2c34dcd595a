"""`tljh-lite export z2jh`: the files, their modes, users.json with FirstUse hashes, the pinned image,
homes archived as 1000:100 under the chart's volume names, and the password script."""

from __future__ import annotations

import dbm
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from tljh_lite.cli.tljh_lite import main as lite_main
from tljh_lite.config.defaults import merged
from tljh_lite.errors import TljhError
from tljh_lite.paths import Paths
from tljh_lite.scaleout import export as export_module
from tljh_lite.scaleout.export import Machine, export_z2jh
from tljh_lite.scaleout.homes import homes_script, volume_name
from tljh_lite.scaleout.image import Installed, installed, python_version, user_image

CONFIG = {"users": {"allowed": ["alice", "Bob"], "admin": ["prof"], "banned": ["eve"]},
          "groups": {"tas": {"users": ["bob", "eve"], "limits": {"memory": "2G"}}}}


def fake_dist(site: Path, name: str, version: str, direct_url: str | None = None) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if direct_url:
        (info / "direct_url.json").write_text(json.dumps({"url": direct_url, "dir_info": {}}))


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    paths = Paths(tmp_path / "opt")
    site = paths.user_venv / "lib" / "python3.11" / "site-packages"
    for name, version in (("jupyterlab", "4.6.0"), ("jupyterhub", "6.1.1"), ("pip", "25.1"), ("Pyjokes", "0.8.3")):
        fake_dist(site, name, version)
    fake_dist(site, "course-tools", "1.0", direct_url="file:///srv/course-tools")
    (paths.user_venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n")
    paths.state_dir.mkdir(parents=True)
    with dbm.open(str(paths.state_dir / "passwords.dbm"), "c") as db:
        db["alice"] = b"$2b$12$alicehash"
        db["prof"] = b"$2b$12$profhash"
        db["eve"] = b"$2b$12$evehash"
    paths.config_d.mkdir(parents=True)
    (paths.config_d / "campus.py").write_text("c.Spawner.environment = {}\n")
    os_release = tmp_path / "os-release"
    os_release.write_text('ID=debian\nVERSION_CODENAME=trixie\n')
    return Machine(paths, os_release=os_release, hostname="hub.example.org")


def test_the_export_writes_every_file_privately(machine, tmp_path):
    out = tmp_path / "export"
    done = export_z2jh(merged(CONFIG), machine, None, out)
    assert done.files == sorted(["values.yaml", "users.json", "firstuse_passwords.py", "requirements.txt",
                                 "Dockerfile", "homes.sh", "MIGRATION.md"])
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "users.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "homes.sh").stat().st_mode) == 0o700
    assert done.problems == [] and done.users == 3 and done.with_password == 2


def test_users_json_has_users_admins_groups_and_firstuse_hashes_but_no_banned_user(machine, tmp_path):
    export_z2jh(merged(CONFIG), machine, None, tmp_path / "x")
    doc = json.loads((tmp_path / "x" / "users.json").read_text())
    users = {u["name"]: u for u in doc["users"]}
    assert set(users) == {"alice", "bob", "prof"}  # eve is banned: she stays behind
    assert users["prof"] == {"name": "prof", "admin": True, "groups": [], "firstuse_bcrypt": "$2b$12$profhash"}
    assert users["bob"] == {"name": "bob", "admin": False, "groups": ["tas"], "firstuse_bcrypt": None}
    assert doc["groups"] == {"tas": ["bob"]}
    assert "evehash" not in (tmp_path / "x" / "users.json").read_text()


def test_no_hashes_for_an_authenticator_that_keeps_none_here(machine, tmp_path):
    config = merged({**CONFIG, "auth": {"type": "oauthenticator.github.GitHubOAuthenticator"}})
    export_z2jh(config, machine, None, tmp_path / "x")
    doc = json.loads((tmp_path / "x" / "users.json").read_text())
    assert all(u["firstuse_bcrypt"] is None for u in doc["users"])


def test_secrets_go_to_a_0600_file_and_a_later_export_without_them_removes_it(machine, tmp_path):
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n")
    cert.write_text("-----BEGIN CERTIFICATE-----\nBB\n-----END CERTIFICATE-----\n")
    out = tmp_path / "x"
    export_z2jh(merged({"https": {"enabled": True, "tls": {"key": str(key), "cert": str(cert)}}}), machine, None, out)
    secrets = out / "values-secrets.yaml"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "      key: |\n        -----BEGIN PRIVATE KEY-----\n" in secrets.read_text()
    assert "PRIVATE KEY" not in (out / "values.yaml").read_text()
    export_z2jh(merged({}), machine, None, out)
    assert not secrets.exists()


def test_migration_md_lists_config_d_files_and_packages_not_from_an_index(machine, tmp_path):
    (machine.paths.config_dir / "plugin-owned-keys.json").write_text('{"Test": "tljh_simplest"}')
    export_z2jh(merged({"users": {"extra_user_groups": {"lab": ["alice"]}}}), machine, None, tmp_path / "x")
    text = (tmp_path / "x" / "MIGRATION.md").read_text()
    assert "jupyterhub_config.d/campus.py" in text and "hub.extraConfig" in text
    assert "course-tools 1.0" in text and "file:///srv/course-tools" in text
    assert "users.extra_user_groups" in text
    assert "config key Test (plugin tljh_simplest's)" in text
    assert "Exported from hub.example.org" in text


def test_an_invalid_values_file_is_written_named_and_fails(machine, tmp_path, monkeypatch):
    original = export_module.values.chart_values

    def broken(*args, **kwargs):
        out = original(*args, **kwargs)
        out.values["cull"]["every"] = "often"
        return out

    monkeypatch.setattr(export_module.values, "chart_values", broken)
    with pytest.raises(TljhError, match="cull.every"):
        export_z2jh(merged({}), machine, None, tmp_path / "x")
    assert "values.yaml is NOT valid" in (tmp_path / "x" / "MIGRATION.md").read_text()
    assert (tmp_path / "x" / "users.json").exists()


def test_the_out_path_must_be_a_folder(machine, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(TljhError, match="not a folder"):
        export_z2jh(merged({}), machine, None, tmp_path / "file")


def test_requirements_pin_every_distribution_and_the_dockerfile_matches_python_and_debian(machine, tmp_path):
    export_z2jh(merged({}), machine, None, tmp_path / "x")
    assert (tmp_path / "x" / "requirements.txt").read_text() == (
        "course-tools==1.0\njupyterhub==6.1.1\njupyterlab==4.6.0\nPyjokes==0.8.3\n")
    dockerfile = (tmp_path / "x" / "Dockerfile").read_text()
    assert "FROM python:3.11-slim-trixie\n" in dockerfile
    assert "--uid 1000 --gid 100" in dockerfile and "USER 1000:100" in dockerfile
    assert 'CMD ["jupyterhub-singleuser"]' in dockerfile


def test_the_image_tag_follows_the_environment_and_plugins_apt_packages_are_installed():
    one = user_image([Installed("numpy", "2.3.0")], python="3.13", debian="trixie", apt=["graphviz"])
    two = user_image([Installed("numpy", "2.3.1")], python="3.13", debian="trixie", apt=["graphviz"])
    assert one.tag != two.tag and len(one.tag) == 12
    assert "install -y --no-install-recommends git tini graphviz" in one.dockerfile
    assert any("jupyterhub" in note.setting for note in one.notes)  # jupyterhub-singleuser is needed


def test_installed_reads_the_venv_metadata(machine):
    names = [d.name for d in installed(machine.paths.user_venv)]
    assert names == ["course-tools", "jupyterhub", "jupyterlab", "pip", "Pyjokes"]
    assert python_version(machine.paths.user_venv) == "3.11"


# KubeSpawner 7.1.0's own names for these users' default servers with claim-{user_server}
# (computed with it: its "safe" slug scheme).
KUBESPAWNER_NAMES = {
    "alice": "claim-alice", "Bob": "claim-bob---cd9fb1e1", "rs-01": "claim-rs-01", "a--b": "claim-a-b---90827a2e",
    "0day": "claim-x-0day---819d812d", "élodie": "claim-lodie---36bac263", "a.b": "claim-a-b---2e7336dc",
    "ta_1": "claim-ta-1---0666f326", "a-": "claim-a---9baf4407", "y" * 46: "claim-" + "y" * 46,
    "y" * 47: "claim-yyyyyyyyyyyyyyyyy--x---42d36a25", "x" * 50: "claim-xxxxxxxxxxxxxxxxx--x---0d746de6",
}


@pytest.mark.parametrize("name", KUBESPAWNER_NAMES)
def test_volume_names_are_kubespawners(name):
    assert volume_name(name) == KUBESPAWNER_NAMES[name]


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="posix")
def test_homes_sh_archives_each_home_as_1000_100_under_its_volume_name(tmp_path):
    homes = tmp_path / "home"
    (homes / "jupyter-alice" / "notebooks").mkdir(parents=True)
    (homes / "jupyter-alice" / "notebooks" / "week1.ipynb").write_text("{}")
    script = tmp_path / "homes.sh"
    script.write_text(homes_script(["alice", "bob"], home_root=str(homes)))
    result = subprocess.run(["sh", str(script), str(tmp_path / "out")], capture_output=True, text=True, check=True)
    assert "bob: no home at" in result.stdout
    with tarfile.open(tmp_path / "out" / "claim-alice.tar.gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert "./notebooks/week1.ipynb" in members
    assert {(m.uid, m.gid) for m in members.values()} == {(1000, 100)}
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="posix")
def test_homes_sh_keeps_a_sparse_file_sparse(tmp_path):
    """A student's `truncate -s 1T` file: GNU tar --sparse archives its data only, and it comes back sparse."""
    home = tmp_path / "home" / "jupyter-alice"
    home.mkdir(parents=True)
    with open(home / "huge.img", "wb") as f:
        try:
            f.truncate(2**40)
        except OSError:
            pytest.skip("this filesystem takes no 1 TiB file")
        f.write(b"head")
    script = tmp_path / "homes.sh"
    script.write_text(homes_script(["alice"], home_root=str(tmp_path / "home")))
    run = subprocess.Popen(["sh", str(script), str(tmp_path / "out")], stdout=subprocess.DEVNULL,
                           start_new_session=True)
    try:  # reading the holes would take hours: a timeout, and tar with it
        assert run.wait(timeout=60) == 0
    finally:
        if run.poll() is None:
            os.killpg(run.pid, 9)
            run.wait()
    archive = tmp_path / "out" / "claim-alice.tar.gz"
    assert archive.stat().st_size < 64 * 2**10
    restored = tmp_path / "jovyan"
    restored.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(restored), "--numeric-owner"], check=True, timeout=60)
    st = (restored / "huge.img").stat()
    assert st.st_size == 2**40 and st.st_blocks * 512 < 2**20 and (st.st_uid, st.st_gid) == (1000, 100)
    assert (restored / "huge.img").open("rb").read(4) == b"head"


def test_firstuse_passwords_py_adds_hashes_once_and_keeps_existing_ones(tmp_path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"users": [{"name": "alice", "firstuse_bcrypt": "$2b$12$a"},
                                           {"name": "bob", "firstuse_bcrypt": None},
                                           {"name": "prof", "firstuse_bcrypt": "$2b$12$p"}]}))
    db_path = tmp_path / "passwords.dbm"
    with dbm.open(str(db_path), "c") as db:
        db["prof"] = b"$2b$12$new-hub"
    script = Path(export_module.__file__).with_name("firstuse_passwords.py")
    run = lambda: subprocess.run([sys.executable, "-", str(users), str(db_path)], stdin=script.open(),  # noqa: E731
                                 capture_output=True, text=True, check=True).stdout
    assert run().strip() == "1 passwords added, 1 users already had one (kept)"
    assert run().strip() == "0 passwords added, 2 users already had one (kept)"
    with dbm.open(str(db_path), "r") as db:
        assert db["alice"] == b"$2b$12$a" and db["prof"] == b"$2b$12$new-hub" and b"bob" not in db


def test_the_cli_needs_root_for_the_installed_config(monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", "/nonexistent-prefix")
    assert lite_main(["export", "z2jh", "--out", "/tmp/nowhere"]) == 1
    assert "needs root" in capsys.readouterr().err


def test_the_cli_exports_a_config_file_of_ones_own(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path / "opt"))
    config = tmp_path / "config.yaml"
    config.write_text("users:\n  allowed: [alice]\n")
    assert lite_main(["export", "z2jh", "--config-path", str(config), "--out", str(tmp_path / "x")]) == 0
    out = capsys.readouterr().out
    assert "passes the chart's schema" in out and "MIGRATION.md" in out


class CoursePlugin:
    from tljh_lite.hooks import hookimpl

    @hookimpl
    def tljh_extra_apt_packages(self):
        return ["graphviz"]

    @hookimpl
    def tljh_custom_jupyterhub_config(self, c):
        c.Spawner.environment = {"COURSE": "1"}

    @hookimpl
    def tljh_new_user_create(self, username):
        pass


def test_plugins_hooks_that_act_on_this_machine_are_listed_and_their_apt_packages_built_in(machine, tmp_path):
    from tljh_lite.plugins import plugin_manager

    pm = plugin_manager(entry_points=[])
    pm.register(CoursePlugin(), name="course")
    export_z2jh(merged({}), machine, pm, tmp_path / "x")
    text = (tmp_path / "x" / "MIGRATION.md").read_text()
    assert ": tljh_custom_jupyterhub_config" in text and ": tljh_new_user_create" in text
    assert "tljh_extra_apt_packages" not in text  # carried: into the Dockerfile
    assert "git tini graphviz" in (tmp_path / "x" / "Dockerfile").read_text()


def as_student(action) -> None:
    """Run `action` in a forked process with another user's uid and gid (nobody's), as a student would."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            action()
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.fixture
def shared_tmp():
    """A folder like /tmp (in /tmp, so every user reaches it): everyone may make things in it, sticky."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to act as another user (CI runs the unit tests as root)")
    shared = Path(tempfile.mkdtemp(prefix="tljh-lite-test-", dir="/tmp"))
    shared.chmod(0o1777)
    yield shared
    shutil.rmtree(shared)


def test_an_existing_out_folder_another_user_made_is_refused_and_nothing_is_written(machine, shared_tmp):
    out = shared_tmp / "z2jh"
    as_student(lambda: out.mkdir(mode=0o777))  # before the professor exports there
    with pytest.raises(TljhError) as refused:
        export_z2jh(merged(CONFIG), machine, None, out)
    assert str(refused.value) == (
        f"{out} belongs to nobody, not root, who could read users.json's password hashes and the secrets, or "
        f"change them; give --out a new folder (made root's, 0700), or make this one root's: sudo chown root: {out}")
    assert list(out.iterdir()) == []


def test_an_out_link_a_student_planted_is_refused(machine, shared_tmp, tmp_path):
    target = tmp_path / "roots-folder"
    target.mkdir()
    out = shared_tmp / "z2jh"
    as_student(lambda: out.symlink_to(target))
    with pytest.raises(TljhError, match=f"^{out} is a link; give --out a new folder"):
        export_z2jh(merged(CONFIG), machine, None, out)
    assert list(target.iterdir()) == []


def test_a_new_out_folder_in_a_shared_place_is_roots_and_private(machine, shared_tmp):
    out = shared_tmp / "z2jh"
    export_z2jh(merged(CONFIG), machine, None, out)
    assert (out.stat().st_uid, stat.S_IMODE(out.stat().st_mode)) == (0, 0o700)


def test_an_out_folder_inside_a_hub_accounts_folder_is_refused(machine, tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "_owner", lambda path: "jupyter-mallory")
    with pytest.raises(TljhError, match="belongs to the hub account jupyter-mallory, who could swap"):
        export_z2jh(merged(CONFIG), machine, None, tmp_path / "home" / "z2jh")
    assert not (tmp_path / "home").exists()
