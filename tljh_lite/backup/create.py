"""`tljh-lite backup create`: one archive (0600) that restores the whole hub on its own.

It streams: nothing is held in memory but the checksums. Written to a
temporary file beside the target, fsynced and renamed, so a full disk or an
error never leaves a partial archive where a good one is expected.
"""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Mapping

from filelock import FileLock, Timeout

from ..config import owned
from .. import __version__
from ..files import atomic_output
from ..users.passwords import passwords_dbm
from ..paths import Paths
from . import collect, hubstate
from .errors import BackupError
from .manifest import HOME, PREFIX, Manifest
from .rotation import archive_name, free_name
from .writer import ArchiveWriter

STDOUT = "-"


@dataclass
class Created:
    path: str  # "-": standard output
    size: int
    sha256: str
    homes: int
    files: int
    seconds: float
    roots: list[dict[str, str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # files that changed while they were read

    def summary(self) -> str:
        where = "to standard output" if self.path == STDOUT else self.path
        return (f"Backup written {where}: {_size(self.size)}, {self.homes} homes, {self.files} files, "
                f"in {self.seconds:.0f} s\nsha256 {self.sha256}")


@contextlib.contextmanager
def exclusive(paths: Paths) -> Iterator[None]:
    """One backup or restore at a time."""
    lock = FileLock(str(paths.state_dir / "backup.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise BackupError("another backup or restore is running", "wait for it to finish, then try again "
                          "(see: systemctl status tljh-backup.service)") from None
    try:
        yield
    finally:
        lock.release()


def backup_folder(config: Mapping[str, Any]) -> Path:
    """backup.path, made if missing, root's alone (0700)."""
    folder = Path(config["backup"]["path"])
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as e:
        raise BackupError(f"cannot use {folder} for backups: {e.strerror}",
                          "choose another folder: sudo tljh-config set backup.path /var/backups/tljh-lite") from None
    return folder


def destination(target: str | None, config: Mapping[str, Any], scheduled: bool = False) -> Path:
    """Where the archive goes: --file PATH (a folder gets a dated name inside), else backup.path."""
    if target is None:
        return free_name(backup_folder(config), archive_name(scheduled=scheduled))
    path = Path(target).absolute()
    if path.is_dir():
        return free_name(path, archive_name())
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: the folder {path.parent} does not exist",
                          "create it, or give another --file")
    return path


def create(paths: Paths, config: Mapping[str, Any], pm, target: str | None = None, homes: bool = True,
           scheduled: bool = False, say: Callable[[str], None] = lambda text: None) -> Created:
    started = time.monotonic()
    with exclusive(paths):
        if target == STDOUT:
            if sys.stdout.isatty():
                raise BackupError("refusing to write an archive to the terminal", "redirect it: ... --file - > FILE")
            out = sys.stdout.buffer
            with _write_errors("standard output"):
                created = _write(out, paths, config, pm, homes, frozenset(), say)
                out.flush()
            created.path = STDOUT
        else:
            path = destination(target, config, scheduled)
            with _write_errors(str(path)), atomic_output(path, 0o600) as out:
                created = _write(out, paths, config, pm, homes, frozenset({str(path.parent)}), say)
            created.path = str(path)
    created.seconds = time.monotonic() - started
    return created


@contextlib.contextmanager
def _write_errors(where: str) -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise BackupError("the program reading the backup stopped before the end", "the output is incomplete; "
                          "run the command again") from None
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise BackupError(f"the disk is full: no room for the backup at {where} (no partial file was left)",
                              "free some space, or write the backup elsewhere: --file PATH, or sudo tljh-config "
                              "set backup.path FOLDER") from None
        raise BackupError(f"could not write the backup to {where}: {e.strerror or e}",
                          "check the folder and the disk; no partial file was left") from None


def _write(out: BinaryIO, paths: Paths, config: Mapping[str, Any], pm, homes: bool, exclude: frozenset[str],
           say: Callable[[str], None]) -> Created:
    accounts = collect.accounts(collect.plugin_accounts(pm))
    home_paths = [a["home"] for a in accounts if not a.get("plugin") and os.path.isdir(a["home"])] if homes else []
    roots = collect.roots(config, home_paths, collect.plugin_data(pm))
    writer = ArchiveWriter(out)
    say("Backing up the hub's database, passwords, secrets and config...")
    revision = _hub_files(writer, paths)
    homes_count = sum(1 for r in roots if r["kind"] == HOME)
    others = [r["path"] for r in roots if r["kind"] != HOME]
    what = [f"{homes_count} homes" if homes else "no homes (--skip-homes)", *others]
    say(f"Backing up {', '.join(what)}...")
    for root in roots:
        writer.add_tree(root["path"], exclude)
    manifest = Manifest(
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        hostname=socket.gethostname(),
        tljh_lite_version=__version__,
        jupyterhub_version=collect.installed_version("jupyterhub"),
        python_version=platform.python_version(),
        db_revision=revision,
        homes=homes,
        roots=roots,
        accounts=accounts,
        plugins=collect.plugins(),
    )
    sha256, size = writer.close(manifest)
    return Created("", size, sha256, homes_count, len(writer.files), 0.0, roots, writer.changed)


def _hub_files(writer: ArchiveWriter, paths: Paths) -> str | None:
    """The database snapshot, secrets, passwords, the students' packages, config.yaml and jupyterhub_config.d;
    returns the database's revision."""
    revision = None
    db = paths.hub_db
    if db.exists():
        with tempfile.TemporaryDirectory(dir=paths.state_dir) as tmp:
            snapshot = Path(tmp) / db.name
            revision = hubstate.snapshot_db(db, snapshot)
            writer.add_bytes(f"{PREFIX}state/{db.name}", snapshot.read_bytes())
    for name in hubstate.STATE_FILES:
        _add_file(writer, paths.state_dir / name, f"{PREFIX}state/{name}")
    for marker in sorted((paths.state_dir / hubstate.MARKERS).rglob("*")):
        _add_file(writer, marker, f"{PREFIX}state/{marker.relative_to(paths.state_dir)}")
    passwords = hubstate.export_passwords(passwords_dbm(paths))
    if passwords is not None:
        writer.add_bytes(f"{PREFIX}passwords.json", passwords)
    packages = collect.user_packages(paths.user_venv)
    writer.add_bytes(f"{PREFIX}user-packages.txt", "".join(f"{line}\n" for line in packages).encode())
    _add_file(writer, paths.config_file, f"{PREFIX}config/{paths.config_file.name}")
    # Keys plugins without a schema wrote into config.yaml: without this record they are unknown keys.
    _add_file(writer, owned.record_path(paths), f"{PREFIX}config/{owned.RECORD_NAME}")
    for snippet in sorted(paths.config_d.glob("*.py")):
        _add_file(writer, snippet, f"{PREFIX}config/{paths.config_d.name}/{snippet.name}")
    return revision


def _add_file(writer: ArchiveWriter, path: Path, name: str) -> None:
    if path.is_file() and not path.is_symlink():
        writer.add_bytes(name, path.read_bytes(), path.stat().st_mode & 0o777)


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"
