"""Putting a checked backup back: the hub's files, the unix accounts, the homes and folders.

`restore` calls these in order once the archive passed its checks and the
hub is stopped. Each can run again over its own half-done work (an
interrupted restore is finished by running it again).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Iterable

from ..config import owned
from ..runner import Runner
from ..files import atomic_write, fsync_dir
from ..users.passwords import passwords_dbm
from ..paths import Paths
from ..systemd import Systemd
from ..hub.unit import HUB_UNIT
from ..unixname import PREFIX as ACCOUNT_PREFIX
from ..usage.store import record_file
from ..users.accounts import ensure_system_user, ensure_user, set_groups
from . import hubstate
from .errors import BackupError
from .extract import Extractor
from .manifest import PREFIX, Manifest, archive_name
from .reader import Archive, data, members, open_archive


def stop_hub_and_servers(systemd: Systemd) -> None:
    """The hub, then every student's server (a running notebook would save over its restored file)."""
    systemd.stop(HUB_UNIT)
    listed = systemd.runner.run(["systemctl", "list-units", "--plain", "--no-legend", "--state=active",
                                 f"{ACCOUNT_PREFIX}*.service"], check=False, quiet=True)
    for line in listed.stdout.splitlines():
        if line.split():
            systemd.stop(line.split()[0])


def put_back_hub_files(staging: Path, paths: Paths) -> Path | None:
    """config.yaml, jupyterhub_config.d, the state files and the passwords; returns where the old config went."""
    moved = _config(staging / "config", paths)
    state = staging / "state"
    for name in hubstate.STATE_FILES:
        if (state / name).exists():
            atomic_write(paths.state_dir / name, (state / name).read_bytes(), 0o600)
    markers = state / hubstate.MARKERS
    for marker in sorted(markers.rglob("*")) if markers.exists() else []:
        target = paths.state_dir / marker.relative_to(state)
        if marker.is_dir():
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
        else:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write(target, marker.read_bytes(), 0o600)
    for db in (paths.hub_db, record_file(paths)):
        if (state / db.name).exists():
            _put_db(state / db.name, db)
    if (staging / "passwords.json").exists():
        hubstate.import_passwords((staging / "passwords.json").read_bytes(), passwords_dbm(paths))
    return moved


def _put_db(staged: Path, db: Path) -> None:
    """An SQLite database in place of another: its stale journal would be replayed into it, so it goes first."""
    for suffix in ("-journal", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.chmod(staged, 0o600)
    os.replace(staged, db)
    fsync_dir(db.parent)


def _config(staged: Path, paths: Paths) -> Path | None:
    """Put the backup's config in place; a different config that was here is moved aside, not lost."""
    private = {paths.config_file, owned.record_path(paths)}  # root only: 0600
    wanted = {paths.config_file: staged / paths.config_file.name, owned.record_path(paths): staged / owned.RECORD_NAME}
    wanted.update({paths.config_d / p.name: p for p in sorted((staged / paths.config_d.name).glob("*.py"))})
    present = [p for p in private if p.exists()]
    present += sorted(paths.config_d.glob("*.py"))
    differ = [p for p in present if p not in wanted or not wanted[p].exists() or _sha(p) != _sha(wanted[p])]
    aside = None
    if differ:
        aside = paths.config_dir / time.strftime("before-restore-%Y%m%d-%H%M%S")
        aside.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in differ:
            shutil.copy2(path, aside / (path.name if path in private else f"config.d-{path.name}"))
            if path not in wanted:
                path.unlink()
    paths.config_d.mkdir(mode=0o755, parents=True, exist_ok=True)
    for target, source in wanted.items():
        if source.exists():
            atomic_write(target, source.read_bytes(), 0o600 if target in private else 0o644)
    return aside


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recreate_accounts(runner: Runner, accounts: list[dict], declared: Iterable[str]) -> tuple[int, list[str]]:
    """Every account of the backup, in its groups (names, not ids: a new machine gives new ids);
    plugins' accounts as system accounts with their homes (their files come back with the plugin's
    folders), but only those the installed plugins declare now (`declared`, their
    tljh_lite_unix_accounts over the restored config): a backup cannot make or regroup any other
    account. Returns (accounts made or kept, warnings for those left out)."""
    declared, count, warnings = set(declared), 0, []
    for account in accounts:
        if account.get("plugin"):
            if account["name"] not in declared:
                warnings.append(f"the backup's account {account['name']} is no installed plugin's: not made")
                continue
            ensure_system_user(runner, account["name"], Path(account["home"]))
        else:
            ensure_user(runner, account["name"])
        set_groups(runner, account["name"], account["groups"], managed=account["groups"])
        count += 1
    return count, warnings


def extract_files(archive: Archive, manifest: Manifest, source: str | None = None,
                  root: str = "/") -> tuple[int, list[str]]:
    """The homes and other folders, each file checked again against the manifest before it takes its place.

    `archive`: the very file verify read (restore pins it); `root`: where '/' is (tests)."""
    source = source or str(archive)
    extractor = Extractor(root, trusted=[archive_name(r["path"]) for r in manifest.roots])
    count = 0
    with open_archive(archive, source) as tar:
        for member in members(tar):
            if member.name.startswith(PREFIX):
                continue
            if not member.isreg():
                extractor.add(member)
                continue
            digest = hashlib.sha256()

            def check(name: str = member.name, digest=digest) -> None:
                if digest.hexdigest() != manifest.files.get(name):
                    raise BackupError(f"{source} changed while it was restored ({name})",
                                      "keep the file still, and run the same restore again")

            extractor.add(member, data(tar, member, digest), check)
            count += 1
    extractor.finish()
    return count, extractor.warnings
