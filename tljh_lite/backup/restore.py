"""`tljh-lite backup restore FILE`: the whole hub back, on a fresh install or on the same machine.

In order: check the whole archive and the folders it would write into
(nothing changes before it passed), refuse what cannot work (a newer
database, a plugin whose source is missing, too little disk, a hub in use
without --force), install the plugins, stop the
hub and the students' servers, put back the hub's files and the unix
accounts, then the homes and other folders, and finish with the installer's
own steps (plugins' packages and hooks, services started, hub answering).

The archive is opened once (pinned.py): what is put back is what was checked.
An interrupted restore leaves a marker naming the archive; running the same
restore again resumes without --force.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..runner import Runner
from ..errors import TljhError
from ..files import atomic_write
from ..installer.cabundle import trust_ca_bundle
from ..paths import Paths
from ..systemd import Systemd
from ..unixname import PREFIX as ACCOUNT_PREFIX
from ..config.defaults import merged
from ..config.file import ConfigFile
from . import collect, hubstate
from .create import exclusive
from .errors import BackupError
from .manifest import Manifest
from .pinned import pinned
from .putback import extract_files, put_back_hub_files, recreate_accounts, stop_hub_and_servers
from .reader import Archive, verify
from .roots import check_roots

MARKER = "restore-in-progress.json"


@dataclass
class Restored:
    manifest: Manifest
    accounts: int = 0
    files: int = 0
    plugins: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    url: str = ""


def restore(archive: Path, paths: Paths, runner: Runner, force: bool = False, progress=None) -> Restored:
    from ..installer.progress import Progress

    progress = progress or Progress()
    trust_ca_bundle()  # plugins and packages are downloaded as bootstrap downloads them
    staging = paths.state_dir / "restore-staging"
    with exclusive(paths), pinned(archive, paths.state_dir) as opened:
        try:
            return _restore(opened, str(archive), staging, paths, runner, force, progress)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # copies of secrets: never left behind


def _restore(archive: Archive, source: str, staging: Path, paths: Paths, runner: Runner, force: bool,
             progress) -> Restored:
    with progress.step(f"Checking {source} (all of it, before anything changes)"):
        verified = verify(archive, staging, source)
        check_roots(verified.manifest, staged_config(staging, paths))
    manifest = verified.manifest
    progress.say(f"    made {manifest.created} on {manifest.hostname} by tljh-lite {manifest.tljh_lite_version}, "
                 f"JupyterHub {manifest.jupyterhub_version}")
    _check(verified.sha256, manifest, staging, paths, force)
    plugins = plugins_to_install(manifest.plugins, _installed_distributions())
    _check_space(manifest)
    result = Restored(manifest, plugins=[f"{p['name']} {p['version']}" for p in plugins])
    if plugins:
        from ..installer.plugin_steps import install_plugins

        with progress.step(f"Installing the backup's plugins: {', '.join(result.plugins)}"):
            install_plugins(runner, paths, [p["source"] for p in plugins])
    # From here on the hub changes: an interrupted restore is finished by running it again.
    atomic_write(_marker(paths), json.dumps({"sha256": verified.sha256, "file": source,
                                             "started": time.time()}), 0o600)
    again = "the restore stopped halfway (the hub may be stopped): run the same command again to finish it"
    try:
        _put_back(archive, source, manifest, staging, paths, runner, progress, result)
    except TljhError as e:
        raise BackupError(e.message, f"{e.hint}; {again}" if e.hint else again) from e
    except OSError as e:  # the disk filled up, a folder in the way cannot be removed (a mount point), ...
        where = f" {e.filename}" if e.filename else ""
        raise BackupError(f"could not put back{where}: {e.strerror or e}", f"fix that, then {again}") from e
    except KeyboardInterrupt:
        raise BackupError("the restore was interrupted", again) from None
    _marker(paths).unlink(missing_ok=True)
    return result


def staged_config(staging: Path, paths: Paths) -> dict:
    """The backup's own config.yaml (defaults filled in): where its certificates are."""
    staged = staging / "config" / paths.config_file.name
    if not staged.exists():
        return merged({})
    try:
        return merged(ConfigFile(staged).load())
    except (TljhError, ValueError) as e:
        raise BackupError(f"the backup's config.yaml cannot be read ({e})", "use another backup; nothing was "
                          "changed") from None


def _put_back(archive: Archive, source: str, manifest: Manifest, staging: Path, paths: Paths, runner: Runner,
              progress, result: Restored) -> None:
    with progress.step("Stopping the hub and the students' servers"):
        stop_hub_and_servers(Systemd(runner))
    with progress.step("Putting back the hub's database, passwords, secrets and config"):
        moved = put_back_hub_files(staging, paths)
        if moved:
            progress.say(f"    the config that was here is kept in {moved}")
    with progress.step(f"Recreating {len(manifest.accounts)} unix accounts and restoring their files"):
        from ..plugins import installed_plugins

        declared = collect.plugin_accounts(installed_plugins())  # over the config just put back
        result.accounts, left_out = recreate_accounts(runner, manifest.accounts, declared)
        result.files, result.warnings = extract_files(archive, manifest, source)
        result.warnings = left_out + result.warnings
    result.url = _finish(paths, runner, progress)
    missing = missing_user_packages(staging / "user-packages.txt", paths)
    if missing:
        listing = paths.state_dir / "user-packages-from-backup.txt"
        atomic_write(listing, "".join(f"{line}\n" for line in missing), 0o600)
        result.warnings.append(
            f"{len(missing)} packages of the backup's students' environment are not in this one "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); to add them for every student: "
            f"sudo /opt/tljh/user/bin/pip install -r {listing}")


def missing_user_packages(recorded: Path, paths: Paths) -> list[str]:
    """The backup's students' packages (name==version) that this students' environment lacks, by name."""
    if not recorded.exists():
        return []
    here = {collect.canonical(line.split("==")[0]) for line in collect.user_packages(paths.user_venv)}
    return [line for line in recorded.read_text().splitlines()
            if line.strip() and collect.canonical(line.split("==")[0]) not in here]


def _marker(paths: Paths) -> Path:
    return paths.state_dir / MARKER


def _check(sha256: str, manifest: Manifest, staging: Path, paths: Paths, force: bool) -> None:
    staged_db = staging / "state" / paths.hub_db.name
    revision = hubstate.db_revision(staged_db) if staged_db.exists() else None
    if revision != manifest.db_revision:
        raise BackupError("the backup's database does not match its manifest", "use another backup; nothing was changed")
    hubstate.check_revision(revision, hubstate.known_revisions(), f"tljh-lite {manifest.tljh_lite_version} "
                            f"(JupyterHub {manifest.jupyterhub_version})", collect.installed_version("jupyterhub"))
    try:
        interrupted = json.loads(_marker(paths).read_text())
    except (FileNotFoundError, ValueError):
        interrupted = None
    if interrupted and interrupted.get("sha256") == sha256:
        return  # the same restore, interrupted: finish it
    if force:
        return
    if interrupted:
        raise BackupError(f"a restore of {interrupted.get('file')} did not finish",
                          "run that restore again to finish it, or add --force to restore this backup instead; "
                          "nothing was changed")
    in_use = hub_users(paths)
    if in_use:
        shown = ", ".join(sorted(in_use)[:5]) + (f" and {len(in_use) - 5} more" if len(in_use) > 5 else "")
        raise BackupError(f"this hub has users ({shown}): a restore replaces its database, passwords and config, "
                          "and puts back the backup's files over theirs",
                          "make a backup of it first (sudo tljh-lite backup create), then add --force; nothing was changed")


def hub_users(paths: Paths) -> set[str]:
    """Who uses this hub: unix accounts of the hub, and users who have logged in."""
    import pwd

    accounts = {a.pw_name.removeprefix(ACCOUNT_PREFIX) for a in pwd.getpwall() if a.pw_name.startswith(ACCOUNT_PREFIX)}
    db = paths.hub_db
    return accounts | (hubstate.active_users(db) if db.exists() else set())


def _installed_distributions() -> set[str]:
    return {collect.canonical(d.metadata["Name"] or "") for d in importlib.metadata.distributions()}


def plugins_to_install(recorded: list[dict[str, str]], installed: set[str]) -> list[dict[str, str]]:
    """The backup's plugins that this hub lacks; refuses one whose source is a folder or file not here."""
    wanted = []
    for plugin in recorded:
        if collect.canonical(plugin["name"]) in installed:
            continue
        source = plugin["source"]
        if source.startswith("/") and not os.path.exists(source):
            raise BackupError(
                f"the plugin {plugin['name']} {plugin['version']} was installed from {source}, which is not on this "
                "machine", f"copy it to {source} (or install the plugin with bootstrap --plugin), then restore again; "
                "nothing was changed")
        wanted.append(plugin)
    return wanted


def _check_space(manifest: Manifest) -> None:
    if not manifest.homes or not manifest.roots:
        return
    free = shutil.disk_usage("/home" if os.path.isdir("/home") else "/").free
    if free < manifest.size:  # the files' data, holes not counted: what restore writes
        raise BackupError(f"not enough disk space: the backup holds {manifest.size // 2**20} MiB of files, "
                          f"/home has {free // 2**20} MiB free", "make room, or restore onto a bigger disk; nothing "
                          "was changed")


def _finish(paths: Paths, runner: Runner, progress) -> str:
    """The installer's steps over the restored config: packages, plugins' hooks, services, health."""
    from ..apt import Distro
    from ..installer.main import InstallOptions, install

    options = InstallOptions(Distro.from_os_release(Path("/etc/os-release").read_text()))
    return install(options, [], paths, progress, runner).url
