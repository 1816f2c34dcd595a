"""Which folders a backup may hold: decided by the same rules when it is made and when it is restored.

A backup's roots are the students' homes, the certificates, and plugins'
data folders. Restore writes only inside them, so it checks the roots
themselves before anything changes: a home is /home/<account> of one of
the backup's hub accounts (jupyter-*), a certificate root is where the
backup's own config.yaml puts the key and certificate (or certbot's
folder), and a plugin's folder is a data folder by the rule below. A crafted
archive naming /etc, /home/../etc or /home as a root is refused.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Mapping

from ..https.files import Lineage, tls_files
from ..unixname import PREFIX
from .errors import BackupError
from .manifest import CERTIFICATES, HOME, PLUGIN_DATA, Manifest

HOME_BASE = "/home"
# Never a plugin's data, nor anything below them: the system's own folders, and tljh-lite's
# environments and state (backed up on their own terms).
NOT_DATA = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/run",
            "/sbin", "/sys", "/tmp", "/usr", "/var/lib/apt", "/var/lib/dpkg", "/var/lib/systemd", "/var/spool",
            "/var/tmp", "/opt/tljh/hub", "/opt/tljh/user", "/opt/tljh/state", "/opt/tljh/config")
# Folders that hold many things, each of which may be data, but that are no one's data as a whole.
NOT_DATA_ITSELF = ("/home", "/media", "/mnt", "/opt", "/opt/tljh", "/srv", "/var", "/var/lib")
# A hub account's name: the hub's prefix, then one path component ("/" and passwd's separators excluded).
ACCOUNT = re.compile(rf"^{re.escape(PREFIX)}[^/:\s\x00]+$")
# A plugin's account (tljh_lite_unix_accounts, e.g. a course's grader): a plain system account name.
PLUGIN_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
HINT = "nothing was changed; use a backup made by: sudo tljh-lite backup create"


def normal(path: str) -> bool:
    """An absolute path with nothing to resolve: no '.', '..', '//' or trailing '/'."""
    return path.startswith("/") and path != "/" and "\0" not in path and posixpath.normpath(path) == path


def data_folder(path: str) -> bool:
    """A folder a plugin may keep its data in (tljh_lite_backup_paths)."""
    return (normal(path) and path not in NOT_DATA_ITSELF
            and not any(path == top or path.startswith(top + "/") for top in NOT_DATA))


def home_of(account: str) -> str | None:
    """Where a hub account's home is backed up from and restored to; None: not a hub account's name."""
    return f"{HOME_BASE}/{account}" if ACCOUNT.match(account) else None


def check_plugin_account(account: Mapping[str, Any]) -> None:
    """A plugin's account: a system account name that is not a hub account's, its home a data folder.
    (Restore then makes only those the restored plugins declare: putback.recreate_accounts.)"""
    name, home = str(account.get("name", "")), str(account.get("home", ""))
    if not PLUGIN_ACCOUNT.match(name) or name.startswith(PREFIX):
        raise BackupError(f"the backup has a plugin's account named {name!r}, which is not a plugin account's name",
                          HINT)
    if not data_folder(home):
        raise BackupError(f"the backup gives the plugin's account {name} the home {home!r}, which is not a folder "
                          "a backup holds", HINT)


def certificate_paths(config: Mapping[str, Any], lineage: Lineage = Lineage()) -> list[str]:
    """Where the config keeps the key and certificate the proxy serves: its own two files, or certbot's folder."""
    try:
        files = tls_files(config, lineage)
    except (KeyError, TypeError):  # an https section that is not a mapping: no certificates to hold
        return []
    if files is None:
        return []
    return sorted({str(files.key), str(files.cert)}) if files.own else [str(lineage.root)]


def check_roots(manifest: Manifest, config: Mapping[str, Any], lineage: Lineage = Lineage()) -> None:
    """Refuse an archive whose folders are not a backup's: before restore changes anything."""
    homes = set()
    for account in manifest.accounts:
        if account.get("plugin"):
            check_plugin_account(account)
            continue
        home = home_of(str(account.get("name", "")))
        if home is None:
            raise BackupError(f"the backup has an account named {account.get('name')!r}, which is not a hub "
                              f"account ({PREFIX}...)", HINT)
        homes.add(home)
    certificates = set(certificate_paths(config, lineage))
    allowed = {HOME: homes.__contains__, CERTIFICATES: certificates.__contains__, PLUGIN_DATA: data_folder}
    paths = []
    for root in manifest.roots:
        path, kind = str(root.get("path", "")), root.get("kind")
        if kind not in allowed or not normal(path) or not allowed[kind](path):
            raise BackupError(f"the backup would write into {path!r} ({kind}), which is not a folder a backup "
                              "holds", HINT)
        paths.append(path)
    for path in paths:
        if any(other != path and path.startswith(other + "/") for other in paths):
            raise BackupError(f"the backup names {path} as a folder of its own, inside another one it holds", HINT)
