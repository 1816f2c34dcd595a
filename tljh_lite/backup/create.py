"""`tljh-lite backup create`: one archive (0600) that restores the whole hub on its own.

It streams: nothing is held in memory but the checksums. Written to a
temporary file beside the target, fsynced and renamed, so a full disk or an
error never leaves a partial archive where a good one is expected. Entries
of the homes that cannot be archived are skipped and listed (writer.py);
an error is one line naming its real cause: the archive's destination, or
the hub file that could not be read.
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
from ..usage.store import record_file
from . import collect, hubstate
from .errors import BackupError
from .manifest import HOME, PREFIX, Manifest
from .rotation import archive_name, free_name
from .writer import SKIPPED_KEPT, ArchiveWriter, OutputError, Skipped

SHOWN = 5  # skipped entries a summary names
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
    skipped: list[Skipped] = field(default_factory=list)  # left out, with why (the first ones)
    skipped_count: int = 0
    vanished: int = 0  # gone before they were read: nothing to keep

    def summary(self) -> str:
        where = "to standard output" if self.path == STDOUT else self.path
        skipped = f", {self.skipped_count} {'entry' if self.skipped_count == 1 else 'entries'} skipped" \
            if self.skipped_count else ""
        return (f"Backup written {where}: {_size(self.size)}, {self.homes} homes, {self.files} files, "
                f"in {self.seconds:.0f} s{skipped}\nsha256 {self.sha256}")

    def skipped_lines(self, shown: int = SHOWN) -> list[str]:
        """The first skipped entries, each with why, and how many more the manifest lists."""
        lines = [f"skipped {s.line()}" for s in self.skipped[:shown]]
        if self.skipped_count > shown:
            lines.append(f"... and {self.skipped_count - shown} more (the backup's manifest lists the first "
                         f"{SKIPPED_KEPT}: tar -xzOf FILE tljh-backup/manifest.json)")
        return lines


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
                with _read_errors():
                    created = _write(out, paths, config, pm, homes, frozenset(), say)
                out.flush()
            created.path = STDOUT
        else:
            path = destination(target, config, scheduled)
            with _write_errors(str(path)), atomic_output(path, 0o600) as out, _read_errors():
                created = _write(out, paths, config, pm, homes, frozenset({str(path.parent)}), say)
            created.path = str(path)
    created.seconds = time.monotonic() - started
    return created


@contextlib.contextmanager
def _write_errors(where: str) -> Iterator[None]:
    """Errors writing the archive, in words; an error reading what is backed up says so on its own."""
    try:
        yield
    except (OutputError, OSError) as e:  # OSError: from the file itself (made, synced, renamed), or stdout
        if e.errno == errno.EPIPE:
            raise BackupError("the program reading the backup stopped before the end", "the output is "
                              "incomplete; run the command again") from None
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise BackupError(f"the disk is full: no room for the backup at {where} (no partial file was left)",
                              "free some space, or write the backup elsewhere: --file PATH, or sudo tljh-config "
                              "set backup.path FOLDER") from None
        raise BackupError(f"could not write the backup to {where}: {e.strerror or e}",
                          "check the folder and the disk; no partial file was left") from None


@contextlib.contextmanager
def _read_errors() -> Iterator[None]:
    """An error reading one of the hub's own files (a student's are skipped instead): it names the file."""
    try:
        yield
    except OSError as e:
        what = f" {e.filename}" if e.filename else ""
        raise BackupError(f"could not read{what} for the backup: {e.strerror or e}",
                          "check that file (and the disk); no partial backup was left") from None


def _write(out: BinaryIO, paths: Paths, config: Mapping[str, Any], pm, homes: bool, exclude: frozenset[str],
           say: Callable[[str], None]) -> Created:
    accounts = collect.accounts(collect.plugin_accounts(pm))
    students = [a for a in accounts if not a.get("plugin")]  # a plugin's account's home is its own data
    home_paths, left_out = collect.backed_up_homes(students) if homes else ([], [])
    roots = collect.roots(config, home_paths, collect.plugin_data(pm))
    writer = ArchiveWriter(out)
    for path, why in left_out:
        writer.skip(path, why)
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
    return Created("", size, sha256, homes_count, len(writer.files), 0.0, roots, writer.changed, writer.skipped,
                   writer.skipped_count, writer.vanished)


def _hub_files(writer: ArchiveWriter, paths: Paths) -> str | None:
    """The database snapshots, secrets, passwords, the students' packages, config.yaml and jupyterhub_config.d;
    returns the hub database's revision."""
    revision = None
    with tempfile.TemporaryDirectory(dir=paths.state_dir) as tmp:
        if paths.hub_db.exists():
            snapshot = Path(tmp) / paths.hub_db.name
            revision = hubstate.snapshot_db(paths.hub_db, snapshot)
            writer.add_file(f"{PREFIX}state/{paths.hub_db.name}", snapshot, 0o600)
        usage = record_file(paths)
        if usage.exists():  # the usage record (tljh-lite report): months of history a new machine cannot rebuild
            copy = Path(tmp) / usage.name
            hubstate.snapshot(usage, copy, "the usage record").close()
            writer.add_file(f"{PREFIX}state/{usage.name}", copy, 0o600)
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
        writer.add_file(name, path)


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"
