"""The hub's own state in a backup: a consistent database snapshot and its revision, the passwords.

The database is copied with SQLite's backup API, which reads one consistent
state while the hub keeps writing. Its alembic revision says which
JupyterHub can open it: restore refuses a database newer than the installed
JupyterHub knows (an older one is upgraded by the hub at its next start,
`--upgrade-db`).

FirstUseAuthenticator keeps passwords in a dbm file whose format depends on
the Python that wrote it (Berkeley DB under Debian 12's 3.11, SQLite under
3.13), so backups carry them as JSON and restore writes them back with this
machine's dbm.
"""

from __future__ import annotations

import base64
import contextlib
import dbm
import importlib.util
import json
import os
import re
import sqlite3
from pathlib import Path

from ..paths import Paths
from ..users.trusted import RECORD_NAME as TRUSTED_PASSWORDS
from .errors import BackupError

# Files of the state folder a restored hub needs (fingerprints and stamps are this machine's own).
# The record of passwords tljh-lite set goes with the passwords: without it, a restored student
# made an admin later would be asked for a new password though hers was the professor's. The LTI
# tool's key goes too: the LMS's registration names its public half, which a new key would not match.
STATE_FILES = ("jupyterhub_cookie_secret", "proxy.env", "proxy-sync-token", "https-status.json",
               TRUSTED_PASSWORDS, Paths(Path("/")).lti_tool_key.name)
MARKERS = "new-user-hooks"  # plugins' new-user hooks still owed (students.markers)
DBM_SUFFIXES = ("", ".db", ".dat", ".dir", ".pag", ".bak")  # gnu, sqlite3; ndbm; dumb
_REVISION = re.compile(r"^(down_)?revision\s*(?::[^=\n]*)?=\s*['\"]?([0-9a-f]+|None)['\"]?", re.MULTILINE)


def snapshot_db(source: Path, target: Path) -> str | None:
    """Copy the hub database consistently (while the hub runs); returns its revision."""
    with contextlib.closing(snapshot(source, target, "the hub database")) as copy:
        return _revision(copy)


def snapshot(source: Path, target: Path, what: str) -> sqlite3.Connection:
    """A consistent copy of an SQLite database others keep writing (the hub's, the usage record), checked."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)) as src:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            (check,) = dst.execute("PRAGMA integrity_check").fetchone()
            if check != "ok":
                raise BackupError(f"{what} {source} is damaged ({check})",
                                  "see https://sqlite.org/recovery.html, or restore an older backup")
        except BaseException:
            dst.close()
            raise
        return dst


def db_revision(db: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return _revision(conn)


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def known_revisions(versions_dir: Path | None = None) -> set[str]:
    """Every database revision the installed JupyterHub can open (its alembic migrations)."""
    if versions_dir is None:
        spec = importlib.util.find_spec("jupyterhub")
        versions_dir = Path(list(spec.submodule_search_locations)[0]) / "alembic" / "versions"
    revisions = set()
    for script in versions_dir.glob("*.py"):
        for down, value in _REVISION.findall(script.read_text()):
            if not down:
                revisions.add(value)
    return revisions


def check_revision(revision: str | None, known: set[str], made_by: str, installed: str) -> None:
    """Refuse a database from a newer JupyterHub than this one (it cannot open it)."""
    if revision is None or revision in known:
        return
    raise BackupError(
        f"this backup's hub database (revision {revision}) is newer than JupyterHub {installed} here can open: "
        f"it was made by {made_by}",
        f"install that tljh-lite version or a newer one here first (bootstrap), then restore; nothing was changed",
    )


def export_passwords(path: Path) -> bytes | None:
    """FirstUse's passwords as JSON (None when there is no password database)."""
    kind = dbm.whichdb(str(path))
    if kind is None:
        return None
    if not kind:
        raise BackupError(f"cannot read the password database {path}: unknown format",
                          "check the file; FirstUseAuthenticator's passwords would not be in the backup")
    with dbm.open(str(path), "r") as db:
        entries = {_b64(key): _b64(db[key]) for key in db.keys()}
    return json.dumps({"format": 1, "written_by": kind, "passwords": dict(sorted(entries.items()))}).encode()


def import_passwords(data: bytes, path: Path) -> int:
    """Replace the password database with the JSON's entries, in this machine's dbm format; how many."""
    entries = json.loads(data)["passwords"]
    staging = path.with_name(path.name + ".restoring")
    _remove_dbm(staging)
    with dbm.open(str(staging), "n", 0o600) as db:
        for key, value in entries.items():
            db[base64.b64decode(key)] = base64.b64decode(value)
    _remove_dbm(path)
    for suffix in DBM_SUFFIXES:
        made = Path(f"{staging}{suffix}")
        if made.exists():
            os.chmod(made, 0o600)
            os.replace(made, f"{path}{suffix}")
    return len(entries)


def _remove_dbm(base: Path) -> None:
    for suffix in DBM_SUFFIXES:
        Path(f"{base}{suffix}").unlink(missing_ok=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def active_users(db: Path) -> set[str]:
    """Users of the hub database who have ever been active (logged in, used a server)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        try:
            return {name for (name,) in conn.execute("SELECT name FROM users WHERE last_activity IS NOT NULL")}
        except sqlite3.Error:
            return set()
