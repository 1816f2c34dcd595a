"""Restoring: files put back without following symlinks, ACLs by name, passwords across dbm formats,
the database revision check, plugins, and when a restore refuses or resumes."""

from __future__ import annotations

import dbm.dumb
import hashlib
import json
import os
import tarfile
from pathlib import Path

import pytest

from tljh_lite.backup import acl, hubstate, putback, restore
from tljh_lite.backup.errors import BackupError
from tljh_lite.backup.extract import Extractor
from tljh_lite.backup.manifest import Manifest
from tljh_lite.paths import Paths


def info(name: str, kind=tarfile.REGTYPE, mode=0o644, linkname="", pax=None) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.mode, member.linkname, member.mtime = kind, mode, linkname, 1_700_000_000
    member.pax_headers = pax or {}
    return member


def put_file(extractor: Extractor, member: tarfile.TarInfo, data: bytes) -> None:
    member.size = len(data)
    extractor.add(member, [(0, data)])


def test_extraction_replaces_a_symlink_in_the_way_and_never_writes_through_it(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n")
    home = root / "home" / "jupyter-alice"
    home.mkdir(parents=True)
    (home / "work").symlink_to(outside)  # a folder in the backup, a symlink to /etc today
    (home / "notes.txt").symlink_to(outside / "passwd")
    extractor = Extractor(str(root), owners=False, trusted=["home/jupyter-alice"])
    extractor.add(info("home/jupyter-alice/work", tarfile.DIRTYPE, 0o755))
    put_file(extractor, info("home/jupyter-alice/work/passwd"), b"alice's own file\n")
    put_file(extractor, info("home/jupyter-alice/notes.txt", mode=0o600), b"notes\n")
    extractor.finish()
    assert (outside / "passwd").read_text() == "root:x:0:0\n"
    assert not (home / "work").is_symlink() and (home / "work" / "passwd").read_text() == "alice's own file\n"
    assert not (home / "notes.txt").is_symlink() and (home / "notes.txt").stat().st_mode & 0o777 == 0o600


def test_a_symlinked_folder_above_or_at_a_backed_up_folder_is_the_administrators_and_followed(tmp_path):
    root = tmp_path / "root"
    (root / "data" / "home" / "jupyter-alice").mkdir(parents=True)
    (root / "home").symlink_to("data/home")  # /home -> /data/home, made by root
    extractor = Extractor(str(root), owners=False, trusted=["home/jupyter-alice"])
    extractor.add(info("home/jupyter-alice", tarfile.DIRTYPE, 0o700))
    put_file(extractor, info("home/jupyter-alice/notes.txt"), b"notes\n")
    extractor.finish()
    assert (root / "home").is_symlink()
    assert (root / "data" / "home" / "jupyter-alice" / "notes.txt").read_text() == "notes\n"


def test_extraction_puts_back_links_modes_and_times_and_folders_last(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "srv" / "course" / "old").mkdir(parents=True)  # a folder where the backup has a file
    extractor = Extractor(str(root), owners=False)
    extractor.add(info("srv/course", tarfile.DIRTYPE, 0o2555))  # read-only: filled first, moded last
    put_file(extractor, info("srv/course/old"), b"a file now\n")
    extractor.add(info("srv/course/hard", tarfile.LNKTYPE, linkname="srv/course/old"))
    extractor.add(info("srv/course/link", tarfile.SYMTYPE, linkname="old"))
    extractor.finish()
    course = root / "srv" / "course"
    assert (course / "old").read_text() == "a file now\n" and os.path.samefile(course / "old", course / "hard")
    assert os.readlink(course / "link") == "old"
    assert course.stat().st_mode & 0o7777 == 0o2555 and int(course.stat().st_mtime) == 1_700_000_000


def test_acl_text_round_trips_through_the_kernel_form_by_name():
    names = {"jupyterhub-users": 1000, "prof": 1001}
    text = "user::rwx\nuser:prof:r-x\ngroup::rwx\ngroup:jupyterhub-users:r-x\nmask::rwx\nother::---\n"
    blob = acl.from_text(text, user_id=names.__getitem__, group_id=names.__getitem__)
    back = {v: k for k, v in names.items()}
    assert acl.to_text(blob, user_name=back.__getitem__, group_name=back.__getitem__) == text
    # The kernel wants entries in order, whatever order the text has.
    shuffled = "other::---\nmask::rwx\ngroup:jupyterhub-users:r-x\nuser::rwx\ngroup::rwx\nuser:prof:r-x\n"
    assert acl.from_text(shuffled, user_id=names.__getitem__, group_id=names.__getitem__) == blob


@pytest.mark.parametrize("bad", ["user:rwx", "owner::rwx", "user::rwz", "group:nosuchgroup-xyz:r--"])
def test_a_bad_acl_entry_is_an_acl_error(bad):
    with pytest.raises(acl.AclError):
        acl.from_text(bad)


def test_acls_are_set_and_removed_on_a_real_file_where_the_filesystem_has_them(tmp_path):
    target = tmp_path / "f"
    target.write_text("x")
    fd = os.open(target, os.O_RDONLY)
    try:
        uid = os.getuid()
        try:
            acl.write(fd, {"SCHILY.acl.access": f"user::rw-\nuser:{uid}:r--\ngroup::r--\nmask::r--\nother::---\n"}, False)
        except acl.AclError:
            pytest.skip("this filesystem has no ACLs")
        assert f"user:{acl._user_name(uid)}:r--" in acl.read(fd)["SCHILY.acl.access"]
        acl.write(fd, {}, False)
        assert acl.read(fd) == {}
    finally:
        os.close(fd)


def test_passwords_move_between_dbm_formats(tmp_path):
    source = tmp_path / "a" / "passwords.dbm"
    source.parent.mkdir()
    with dbm.dumb.open(str(source), "c") as db:  # as another Python would have written it
        db[b"alice"] = b"$2b$12$alice"
        db["bob"] = b"$2b$12$bob"
    exported = hubstate.export_passwords(source)
    target = tmp_path / "b" / "passwords.dbm"
    target.parent.mkdir()
    Path(f"{target}.db").write_bytes(b"an older database in the way")
    assert hubstate.import_passwords(exported, target) == 2
    assert not Path(f"{target}.db").exists() or dbm.whichdb(str(target)) == "dbm.ndbm"
    with dbm.open(str(target), "r") as db:  # this Python's default format
        assert db[b"alice"] == b"$2b$12$alice" and db[b"bob"] == b"$2b$12$bob"
    assert not list(target.parent.glob("*.restoring*"))
    assert hubstate.export_passwords(tmp_path / "none" / "passwords.dbm") is None


def versions_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "a_base.py").write_text('revision = "aaaa"\ndown_revision = None\n')
    (folder / "b_next.py").write_text("revision: str = 'bbbb'\ndown_revision = 'aaaa'\n")
    return folder


def test_the_revision_check_takes_older_and_equal_databases_and_refuses_newer(tmp_path):
    known = hubstate.known_revisions(versions_dir(tmp_path))
    assert known == {"aaaa", "bbbb"}
    for revision in ("aaaa", "bbbb", None):
        hubstate.check_revision(revision, known, "tljh-lite 0.2.0", "6.1.1")
    with pytest.raises(BackupError) as refused:
        hubstate.check_revision("cccc", known, "tljh-lite 0.9.0 (JupyterHub 7.0.0)", "6.1.1")
    assert "newer than JupyterHub 6.1.1" in refused.value.message and "tljh-lite 0.9.0" in refused.value.message
    assert "nothing was changed" in refused.value.hint


def test_plugins_already_here_are_skipped_and_a_missing_folder_refused(tmp_path):
    recorded = [
        {"name": "tljh_lite_shared_folders", "version": "1.0.0", "source": "/nowhere/plugin"},
        {"name": "course-plugin", "version": "2.0", "source": "course-plugin==2.0"},
        {"name": "local", "version": "1", "source": str(tmp_path)},
    ]
    wanted = restore.plugins_to_install(recorded, {"tljh-lite-shared-folders"})
    assert [p["source"] for p in wanted] == ["course-plugin==2.0", str(tmp_path)]
    with pytest.raises(BackupError, match="installed from /nowhere/plugin, which is not on this machine"):
        restore.plugins_to_install(recorded, set())


@pytest.fixture
def hub(tmp_path) -> Paths:
    paths = Paths(tmp_path / "opt")
    paths.config_d.mkdir(parents=True)
    paths.state_dir.mkdir(parents=True)
    paths.config_file.write_text("users:\n  admin: [other]\n")
    (paths.config_d / "later.py").write_text("# added after the backup\n")
    paths.hub_db.write_bytes(b"the database of this machine")
    Path(f"{paths.hub_db}-journal").write_bytes(b"a stale journal")
    return paths


def staged(tmp_path) -> Path:
    staging = tmp_path / "staging"
    (staging / "config" / "jupyterhub_config.d").mkdir(parents=True)
    (staging / "state" / "new-user-hooks" / "pending").mkdir(parents=True)
    (staging / "config" / "config.yaml").write_text("# kept comment\nusers:\n  admin: [prof]\n")
    (staging / "config" / "jupyterhub_config.d" / "extra.py").write_text("pass\n")
    (staging / "state" / "proxy.env").write_text("CONFIGPROXY_AUTH_TOKEN=from-backup\n")
    (staging / "state" / "new-user-hooks" / "pending" / "jupyter-bob").write_text("")
    (staging / "state" / "jupyterhub.sqlite").write_bytes(b"the backup's database")
    return staging


def test_hub_files_are_put_back_and_a_different_config_is_kept_aside(tmp_path, hub):
    aside = putback.put_back_hub_files(staged(tmp_path), hub)
    assert hub.config_file.read_text() == "# kept comment\nusers:\n  admin: [prof]\n"
    assert hub.config_file.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in hub.config_d.iterdir()) == ["extra.py"]
    assert sorted(p.name for p in aside.iterdir()) == ["config.d-later.py", "config.yaml"]
    assert hub.hub_db.read_bytes() == b"the backup's database" and not Path(f"{hub.hub_db}-journal").exists()
    assert (hub.state_dir / "proxy.env").read_text() == "CONFIGPROXY_AUTH_TOKEN=from-backup\n"
    assert (hub.state_dir / "new-user-hooks" / "pending" / "jupyter-bob").exists()


def test_putting_back_the_same_config_moves_nothing_aside(tmp_path, hub):
    staging = staged(tmp_path)
    hub.config_file.write_bytes((staging / "config" / "config.yaml").read_bytes())
    (hub.config_d / "later.py").unlink()
    assert putback.put_back_hub_files(staging, hub) is None


def a_manifest(revision=None) -> Manifest:
    return Manifest("2026-01-01T00:00:00Z", "old-vm", "0.2.0", "6.1.1", "3.11", revision, True)


def archive_of_one_home(tmp_path, name: str, text: str) -> tuple[Path, Path, Manifest]:
    """A backup of /home/jupyter-a (under tmp_path) holding one file: (archive, home, manifest)."""
    from tljh_lite.backup.writer import ArchiveWriter

    home = tmp_path / "home" / "jupyter-a"
    home.mkdir(parents=True)
    (home / name).write_text(text)
    archive = tmp_path / "b.tar.gz"
    with open(archive, "wb") as out:
        writer = ArchiveWriter(out)
        writer.add_tree(str(home))
        m = a_manifest()
        m.roots = [{"path": str(home), "kind": "home"}]
        writer.close(m)
    return archive, home, m


def test_a_hub_in_use_is_refused_without_force(tmp_path, hub, monkeypatch):
    monkeypatch.setattr(restore, "hub_users", lambda paths: {"alice", "bob"})
    monkeypatch.setattr(hubstate, "known_revisions", lambda: set())
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(BackupError) as refused:
        restore._check("sha", a_manifest(), staging, hub, force=False)
    assert "this hub has users (alice, bob)" in refused.value.message and "--force" in refused.value.hint
    restore._check("sha", a_manifest(), staging, hub, force=True)


def test_an_interrupted_restore_resumes_without_force_and_another_is_refused(tmp_path, hub, monkeypatch):
    monkeypatch.setattr(restore, "hub_users", lambda paths: {"alice"})
    monkeypatch.setattr(hubstate, "known_revisions", lambda: set())
    staging = tmp_path / "staging"
    staging.mkdir()
    (hub.state_dir / restore.MARKER).write_text(json.dumps({"sha256": "same", "file": "/root/b.tar.gz"}))
    restore._check("same", a_manifest(), staging, hub, force=False)
    with pytest.raises(BackupError, match="a restore of /root/b.tar.gz did not finish"):
        restore._check("another", a_manifest(), staging, hub, force=False)


def test_a_database_that_does_not_match_the_manifest_is_refused(tmp_path, hub):
    import sqlite3

    staging = tmp_path / "staging"
    (staging / "state").mkdir(parents=True)
    db = sqlite3.connect(staging / "state" / "jupyterhub.sqlite")
    db.execute("CREATE TABLE alembic_version (version_num TEXT)")
    db.execute("INSERT INTO alembic_version VALUES ('aaaa')")
    db.commit()
    db.close()
    with pytest.raises(BackupError, match="does not match its manifest"):
        restore._check("sha", a_manifest("bbbb"), staging, hub, force=True)


def test_active_users_are_those_who_logged_in(tmp_path):
    import sqlite3

    db = sqlite3.connect(tmp_path / "hub.sqlite")
    db.execute("CREATE TABLE users (name TEXT, last_activity TEXT)")
    db.executemany("INSERT INTO users VALUES (?, ?)", [("prof", None), ("alice", "2026-01-01")])
    db.commit()
    db.close()
    assert hubstate.active_users(tmp_path / "hub.sqlite") == {"alice"}


def test_a_snapshot_is_consistent_and_carries_the_revision(tmp_path):
    import sqlite3

    source = tmp_path / "hub.sqlite"
    db = sqlite3.connect(source)
    db.execute("CREATE TABLE alembic_version (version_num TEXT)")
    db.execute("INSERT INTO alembic_version VALUES ('f460b0348206')")
    db.commit()
    db.execute("BEGIN")
    db.execute("INSERT INTO alembic_version VALUES ('uncommitted')")  # a write in progress is not copied
    assert hubstate.snapshot_db(source, tmp_path / "copy.sqlite") == "f460b0348206"
    db.rollback()
    db.close()
    copy = sqlite3.connect(tmp_path / "copy.sqlite")
    assert copy.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    copy.close()


def test_restore_checks_every_file_again_as_it_writes_it(tmp_path, monkeypatch):
    from tljh_lite.backup import extract

    archive, home, m = archive_of_one_home(tmp_path, "f", "content")
    m.files[f"{str(home).lstrip('/')}/f"] = hashlib.sha256(b"something else").hexdigest()
    monkeypatch.setattr(putback, "Extractor", lambda root, trusted: extract.Extractor(root, owners=False))
    (tmp_path / "root").mkdir()
    with pytest.raises(BackupError, match="changed while it was restored"):
        putback.extract_files(archive, m, root=str(tmp_path / "root"))
    assert not list((tmp_path / "root").rglob("f"))  # the file that did not match never took its place


def test_a_refused_restore_runs_nothing_and_leaves_no_copies_of_secrets(tmp_path, hub, monkeypatch):
    from fakes import RecordingRunner

    monkeypatch.setattr(restore, "trust_ca_bundle", lambda: None)  # it sets this process's environment

    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(b"\x1f\x8b" + b"not really gzip" * 100)
    runner = RecordingRunner()
    with pytest.raises(BackupError, match="corrupted|truncated"):
        restore.restore(damaged, hub, runner)
    assert runner.calls == []
    assert not (hub.state_dir / "restore-staging").exists() and not (hub.state_dir / restore.MARKER).exists()


def test_an_error_of_the_disk_while_putting_back_is_one_line_that_says_to_run_it_again(tmp_path, hub, monkeypatch):
    import errno

    from fakes import RecordingRunner

    archive, _, _ = archive_of_one_home(tmp_path, "notes.txt", "notes\n")
    monkeypatch.setattr(restore, "trust_ca_bundle", lambda: None)
    monkeypatch.setattr(restore, "hub_users", lambda paths: set())
    monkeypatch.setattr(restore, "check_roots", lambda manifest, config: None)  # a home under tmp_path
    monkeypatch.setattr(hubstate, "known_revisions", lambda: set())  # no JupyterHub in the tests' environment
    monkeypatch.setattr(restore, "stop_hub_and_servers", lambda systemd: None)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "notes.txt")

    monkeypatch.setattr(restore, "extract_files", full)
    with pytest.raises(BackupError) as stopped:
        restore.restore(archive, hub, RecordingRunner(), force=True)
    assert stopped.value.message == "could not put back notes.txt: No space left on device"
    assert "run the same command again to finish it" in stopped.value.hint
    assert (hub.state_dir / restore.MARKER).exists()
