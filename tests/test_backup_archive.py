"""Backup archives: what goes in, the manifest and its checksums, and every way a bad archive is refused."""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from tljh_lite import __version__
from tljh_lite.backup import create as create_module
from tljh_lite.backup.errors import BackupError
from tljh_lite.backup.manifest import FORMAT_VERSION, MANIFEST_NAME, Manifest
from tljh_lite.backup.reader import open_archive, verify
from tljh_lite.backup.writer import ArchiveWriter, _RegionReader
from tljh_lite.config.defaults import merged
from tljh_lite.paths import Paths

from crafted_archives import crafted, member


def manifest(roots=()) -> Manifest:
    return Manifest("2026-01-01T00:00:00Z", "host", "0.2.0", "6.1.1", "3.11", None, True,
                    roots=[{"path": str(r), "kind": "home"} for r in roots])


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home" / "jupyter-alice"
    (home / "proj" / "empty").mkdir(parents=True)
    (home / "notes.txt").write_text("alice was here\n")
    (home / "proj" / "data.bin").write_bytes(os.urandom(300_000))
    (home / "link").symlink_to("notes.txt")
    os.link(home / "notes.txt", home / "proj" / "hard")
    os.chmod(home / "proj", 0o750)
    return home


def write_archive(path: Path, home: Path, extra=None) -> tuple[str, int]:
    with open(path, "wb") as out:
        writer = ArchiveWriter(out)
        writer.add_bytes("tljh-backup/config/config.yaml", b"users:\n  admin: [prof]\n")
        writer.add_tree(str(home))
        if extra:
            extra(writer)
        return writer.close(manifest([home]))


def test_an_archive_holds_every_file_with_its_checksum_and_the_manifest_last(tmp_path, home):
    archive = tmp_path / "b.tar.gz"
    sha, size = write_archive(archive, home)
    assert size == archive.stat().st_size
    verified = verify(archive, tmp_path / "staging")
    assert verified.sha256 == sha
    m = verified.manifest
    name = str(home).lstrip("/")
    assert set(m.files) == {"tljh-backup/config/config.yaml", f"{name}/notes.txt", f"{name}/proj/data.bin"}
    assert m.links == {f"{name}/link": "notes.txt"}
    assert m.entries == 8  # config, 3 folders, 2 files, a symlink, a hard link
    assert (tmp_path / "staging" / "config" / "config.yaml").read_bytes() == b"users:\n  admin: [prof]\n"
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert members[-1].name == MANIFEST_NAME
    kinds = {m.name.removeprefix(name + "/"): m for m in members}
    assert kinds["proj/hard"].islnk() and kinds["link"].issym() and kinds["proj"].mode == 0o750


def test_the_archive_is_a_plain_tar_gz_that_gnu_tar_reads(tmp_path, home):
    archive = tmp_path / "b.tar.gz"
    write_archive(archive, home)
    with gzip.open(archive) as raw:
        assert raw.read(512)[257:262] == b"ustar"


def test_a_file_that_shrinks_while_read_is_padded_and_hashed_as_archived(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    fd = os.open(path, os.O_RDONLY)
    try:
        reader = _RegionReader(fd, [(0, 6)])
        assert reader.read(4) + reader.read(4) == b"abc\0\0\0"
    finally:
        os.close(fd)
    assert reader.short


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, words", [
    (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "truncated"),
    (lambda p: p.write_bytes(p.read_bytes()[:-30]), "truncated"),
    (lambda p: flip_byte(p, p.stat().st_size // 2), "corrupted"),
    (lambda p: p.write_text("just some text, not an archive\n" * 40), "not a tljh-lite backup"),
    (lambda p: p.write_bytes(b""), "not a tljh-lite backup"),
])
def test_a_damaged_archive_is_refused_in_one_line(tmp_path, home, damage, words):
    archive = tmp_path / "b.tar.gz"
    write_archive(archive, home)
    damage(archive)
    with pytest.raises(BackupError) as refused:
        verify(archive, tmp_path / "staging")
    assert words in refused.value.message and "\n" not in refused.value.one_line()
    assert "nothing was changed" in refused.value.hint or "tljh-lite-backup" in refused.value.hint


def rewrite(archive: Path, change) -> None:
    """Re-pack an archive, letting change(name, data) alter or drop members' content."""
    out = io.BytesIO()
    packed = gzip.GzipFile(fileobj=out, mode="wb")
    with tarfile.open(archive) as src, tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isreg() else None
            data = change(member.name, data)
            if data is False:
                continue
            if data is not None:
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    packed.close()
    archive.write_bytes(out.getvalue())


def test_a_file_that_does_not_match_its_checksum_is_refused(tmp_path, home):
    archive = tmp_path / "b.tar.gz"
    write_archive(archive, home)
    rewrite(archive, lambda name, data: b"changed by someone\n" if name.endswith("notes.txt") else data)
    with pytest.raises(BackupError, match="notes.txt does not match its checksum"):
        verify(archive, tmp_path / "staging")


def test_a_missing_file_or_manifest_is_refused(tmp_path, home):
    archive = tmp_path / "b.tar.gz"
    write_archive(archive, home)
    rewrite(archive, lambda name, data: False if name.endswith("data.bin") else data)
    with pytest.raises(BackupError, match="incomplete: .*data.bin"):
        verify(archive, tmp_path / "staging")
    rewrite(archive, lambda name, data: False if name == MANIFEST_NAME else data)
    with pytest.raises(BackupError, match="incomplete: it has no manifest"):
        verify(archive, tmp_path / "staging")


def test_a_manifest_from_a_newer_format_names_the_version_to_install(tmp_path, home):
    archive = tmp_path / "b.tar.gz"
    write_archive(archive, home)

    def newer(name, data):
        if name != MANIFEST_NAME:
            return data
        raw = json.loads(data)
        raw.update(format_version=FORMAT_VERSION + 1, tljh_lite_version="9.0.0")
        return json.dumps(raw).encode()

    rewrite(archive, newer)
    with pytest.raises(BackupError) as refused:
        verify(archive, tmp_path / "staging")
    assert "tljh-lite 9.0.0" in refused.value.message and "upgrade tljh-lite to 9.0.0" in refused.value.hint


def evil_archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], roots: list[str]) -> None:
    """An archive with the members given and a manifest that vouches for them."""
    m = manifest()
    m.roots = [{"path": r, "kind": "home"} for r in roots]
    crafted(path, members, m)


@pytest.mark.parametrize("members, words", [
    ([(member("home/jupyter-a/../../etc/passwd"), b"x")], "unsafe file name"),
    ([(member("/etc/passwd"), b"x")], "unsafe file name"),
    ([(member("home/jupyter-a/l", tarfile.SYMTYPE, "/etc"), None), (member("home/jupyter-a/l/passwd"), b"x")],
     "lies below the symlink"),
    ([(member("etc/passwd"), b"x")], "outside the folders its manifest names"),
    ([(member("home/jupyter-a/dev", tarfile.CHRTYPE), None)], "neither a file, a folder nor a link"),
])
def test_an_archive_that_would_write_outside_its_folders_is_refused(tmp_path, members, words):
    archive = tmp_path / "evil.tar.gz"
    evil_archive(archive, members, ["/home/jupyter-a"])
    with pytest.raises(BackupError, match=words):
        verify(archive, tmp_path / "staging")


def test_open_archive_reads_what_verify_checked(tmp_path, home):
    archive = tmp_path / "b.tar.gz"
    write_archive(archive, home)
    with open_archive(archive) as tar:
        assert tar.next().name == "tljh-backup/config/config.yaml"


# -- create: the whole command, into a folder of its own ------------------------------------------

@pytest.fixture
def installed(tmp_path) -> Paths:
    """A hub's files (no accounts, no homes) under a temporary prefix."""
    import dbm.dumb
    import sqlite3

    paths = Paths(tmp_path / "opt")
    paths.state_dir.mkdir(parents=True)
    paths.config_d.mkdir(parents=True)
    paths.config_file.write_text("# the professor's comment\nusers:\n  admin: [prof]\n")
    (paths.config_d / "extra.py").write_text("c.JupyterHub.log_level = 'DEBUG'\n")
    (paths.state_dir / "jupyterhub_cookie_secret").write_text("cookie\n")
    (paths.state_dir / "proxy.env").write_text("CONFIGPROXY_AUTH_TOKEN=token\n")
    db = sqlite3.connect(paths.hub_db)
    db.execute("CREATE TABLE alembic_version (version_num TEXT)")
    db.execute("INSERT INTO alembic_version VALUES ('f460b0348206')")
    db.commit()
    db.close()
    with dbm.dumb.open(str(paths.state_dir / "passwords.dbm"), "c") as passwords:
        passwords[b"alice"] = b"$2b$12$hash-of-alice"
    return paths


def config(tmp_path) -> dict:
    return merged({"backup": {"path": str(tmp_path / "backups")}})


def no_plugins():
    from tljh_lite.plugins import plugin_manager

    return plugin_manager(entry_points=[])


def test_create_writes_a_private_dated_archive_into_backup_path(tmp_path, installed, monkeypatch):
    monkeypatch.setattr(create_module.collect, "accounts", lambda plugin_accounts=(): [])
    created = create_module.create(installed, config(tmp_path), no_plugins())
    path = Path(created.path)
    assert path.parent == tmp_path / "backups" and path.name.startswith("tljh-lite-backup-")
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    m = verify(path, tmp_path / "staging").manifest
    assert m.db_revision == "f460b0348206" and m.tljh_lite_version == __version__
    staged = tmp_path / "staging"
    assert (staged / "config" / "config.yaml").read_text().startswith("# the professor's comment")
    assert (staged / "config" / "jupyterhub_config.d" / "extra.py").exists()
    assert (staged / "state" / "proxy.env").read_text() == "CONFIGPROXY_AUTH_TOKEN=token\n"
    assert "alice" in (staged / "passwords.json").read_text() or "YWxpY2U=" in (staged / "passwords.json").read_text()
    assert created.sha256 in created.summary()


class FullDisk:
    """The archive's file on a disk that fills up after `room` bytes."""

    def __init__(self, out, room: int):
        self.out, self.room = out, room

    def write(self, data) -> int:
        self.room -= len(data)
        if self.room < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.out.write(data)

    def __getattr__(self, name):
        return getattr(self.out, name)


def test_a_full_disk_leaves_no_partial_archive(tmp_path, installed, monkeypatch):
    import contextlib

    real = create_module.atomic_output

    @contextlib.contextmanager
    def filling(path, mode):
        with real(path, mode) as out:
            yield FullDisk(out, room=1000)

    monkeypatch.setattr(create_module, "atomic_output", filling)
    monkeypatch.setattr(create_module.collect, "accounts", lambda plugin_accounts=(): [])
    target = tmp_path / "out" / "b.tar.gz"
    target.parent.mkdir()
    with pytest.raises(BackupError) as refused:
        create_module.create(installed, config(tmp_path), no_plugins(), target=str(target))
    assert "the disk is full" in refused.value.message and "no partial file" in refused.value.message
    assert list(target.parent.iterdir()) == []


def test_a_good_archive_is_not_replaced_by_a_failed_one(tmp_path, installed, monkeypatch):
    target = tmp_path / "b.tar.gz"
    target.write_bytes(b"yesterday's good backup")
    monkeypatch.setattr(create_module, "_write", lambda out, *args: out.write(b"x") and (_ for _ in ()).throw(
        create_module.OutputError(OSError(errno.EIO, "Input/output error"))))
    with pytest.raises(BackupError, match="could not write the backup .*: Input/output error"):
        create_module.create(installed, config(tmp_path), no_plugins(), target=str(target))
    assert target.read_bytes() == b"yesterday's good backup"


def test_a_missing_folder_for_file_is_one_line(tmp_path, installed):
    with pytest.raises(BackupError, match="does not exist"):
        create_module.create(installed, config(tmp_path), no_plugins(), target=str(tmp_path / "nowhere" / "b.tar.gz"))


def test_only_one_backup_or_restore_runs_at_once(tmp_path, installed):
    with create_module.exclusive(installed):
        with pytest.raises(BackupError, match="another backup or restore is running"):
            with create_module.exclusive(installed):
                pass


def test_the_usage_record_is_in_the_backup_as_a_consistent_snapshot_and_restored(tmp_path, installed, monkeypatch):
    from tljh_lite.backup import putback
    from tljh_lite.usage.store import ClassSample, ServerSample, open_store, record, record_file

    db = open_store(record_file(installed))
    record(db, ClassSample(1_700_000_040, (ServerSample("ada", 100 * 2**20, 5, True),)))
    db.commit()
    db.execute("BEGIN")
    db.execute("DELETE FROM class_minute")  # a write in progress is not in the snapshot
    monkeypatch.setattr(create_module.collect, "accounts", lambda plugin_accounts=(): [])
    created = create_module.create(installed, config(tmp_path), no_plugins())
    db.rollback()
    db.close()
    staging = tmp_path / "staging"
    verify(Path(created.path), staging)
    elsewhere = Paths(tmp_path / "new-machine")
    elsewhere.state_dir.mkdir(parents=True)
    putback.put_back_hub_files(staging, elsewhere)
    restored = open_store(record_file(elsewhere), readonly=True)
    assert restored.execute("SELECT t, running FROM class_minute").fetchall() == [(1_700_000_040, 1)]
    restored.close()
    assert record_file(elsewhere).stat().st_mode & 0o777 == 0o600


def test_a_backup_made_by_0_3_0_still_verifies_and_restores(tmp_path, home):
    """0.3.0 wrote format 1 without `sparse` or `skipped`: both are optional."""
    from tljh_lite.backup.putback import extract_files

    archive = tmp_path / "b.tar.gz"
    write_archive(archive, home)

    def as_0_3_0(name, data):
        if name != MANIFEST_NAME:
            return data
        raw = json.loads(data)
        for key in ("sparse", "skipped", "skipped_count"):
            del raw[key]
        assert raw["format_version"] == 1  # no sparse file: written as 0.3.0 wrote it
        raw["tljh_lite_version"] = "0.3.0"
        return json.dumps(raw).encode()

    rewrite(archive, as_0_3_0)
    m = verify(archive, tmp_path / "staging").manifest
    assert m.tljh_lite_version == "0.3.0" and m.sparse == {} and m.skipped == []
    target = tmp_path / "target"
    target.mkdir()
    assert extract_files(archive, m, root=str(target))[0] == 2
    back = target / str(home).lstrip("/")
    assert (back / "notes.txt").read_text() == "alice was here\n" and os.path.samefile(back / "notes.txt",
                                                                                        back / "proj" / "hard")


def test_the_record_of_passwords_tljh_lite_set_and_the_lti_key_are_restored(tmp_path, installed, monkeypatch):
    """Without the record, a restored student made an admin later would lose the password the professor
    gave her; without the key, the LMS's registration would name a public key the hub no longer has."""
    from tljh_lite.backup import putback
    from tljh_lite.users.trusted import TrustRecord, record_file as trusted_file

    TrustRecord(trusted_file(installed)).note({"alice": b"$2b$12$hash-of-alice"})
    installed.lti_tool_key.write_text("-----BEGIN PRIVATE KEY-----\nthe tool's key\n")
    monkeypatch.setattr(create_module.collect, "accounts", lambda plugin_accounts=(): [])
    created = create_module.create(installed, config(tmp_path), no_plugins())
    staging = tmp_path / "staging"
    verify(Path(created.path), staging)
    elsewhere = Paths(tmp_path / "new-machine")
    elsewhere.state_dir.mkdir(parents=True)
    putback.put_back_hub_files(staging, elsewhere)
    assert TrustRecord(trusted_file(elsewhere)).read() == TrustRecord(trusted_file(installed)).read() != {}
    assert trusted_file(elsewhere).stat().st_mode & 0o777 == 0o600
    assert elsewhere.lti_tool_key.read_text() == installed.lti_tool_key.read_text()
    assert elsewhere.lti_tool_key.stat().st_mode & 0o777 == 0o600
