"""The manifest, an archive's last member: what the archive holds and how to check it.

An archive is a gzip-compressed POSIX tar:
- `tljh-backup/...`: the hub's own files (database snapshot, secrets,
  passwords, config), put back by `restore` where this machine keeps them;
- every other member at its absolute path without the leading '/'
  (`home/jupyter-alice/...`, `etc/letsencrypt/...`, plugins' folders), inside
  one of the manifest's `roots`;
- `tljh-backup/manifest.json` last, with a sha256 for every file: it is
  written once everything else is in, so an archive cut short has none.

Format versions: 1 (tljh-lite 0.2.0 on) has plain files only; 2 adds
sparse members (sparse.py), whose checksum covers their map and data. A
backup without a sparse file is still written as version 1, so an older
tljh-lite restores it; an older one given a version 2 backup reads it to
the end, then refuses it in one line naming the version to install.
Fields added since (`skipped`, `sparse`) are optional, so backups made by
0.2.0 and 0.3.0 restore here.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import BackupError

FORMAT = "tljh-lite-backup"
FORMAT_VERSION = 2  # the newest this version reads and writes
PLAIN_FORMAT = 1  # what a backup without sparse members is written as
PREFIX = "tljh-backup/"
MANIFEST_NAME = PREFIX + "manifest.json"

# What each root is, for messages and for restore.
HOME, CERTIFICATES, PLUGIN_DATA = "home", "certificates", "plugin data"


@dataclass
class Manifest:
    created: str  # ISO 8601, UTC
    hostname: str
    tljh_lite_version: str
    jupyterhub_version: str
    python_version: str
    db_revision: str | None  # the hub database's alembic revision
    homes: bool  # False: made with --skip-homes
    roots: list[dict[str, str]] = field(default_factory=list)  # {"path": "/home/jupyter-alice", "kind": HOME}
    accounts: list[dict[str, Any]] = field(default_factory=list)  # {"name", "home", "groups"[, "plugin": True]}
    plugins: list[dict[str, str]] = field(default_factory=list)  # {"name", "version", "source"}
    files: dict[str, str] = field(default_factory=dict)  # member -> sha256 of its content
    links: dict[str, str] = field(default_factory=dict)  # symlink member -> its target
    entries: int = 0  # members before the manifest
    size: int = 0  # bytes of file data, as they take up disk space (holes of sparse files not counted)
    sparse: dict[str, dict[str, int]] = field(default_factory=dict)  # member -> {"size": real size, "regions"}
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"path", "reason"}: left out (the first 1000)
    skipped_count: int = 0
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        data = {**asdict(self), "format_version": FORMAT_VERSION if self.sparse else PLAIN_FORMAT}
        return json.dumps(data, indent=1, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes, source: str) -> "Manifest":
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise ValueError("not a tljh-lite manifest")
        except (ValueError, AttributeError) as e:
            raise BackupError(f"{source} is not a tljh-lite backup (its manifest is unreadable: {e})",
                              "nothing was changed; use a file made by: sudo tljh-lite backup create") from None
        if raw.get("format_version", 0) > FORMAT_VERSION:
            raise BackupError(
                f"{source} was made by tljh-lite {raw.get('tljh_lite_version', '?')}, whose backup format "
                f"({raw.get('format_version')}) this version does not know",
                f"upgrade tljh-lite to {raw.get('tljh_lite_version', 'that version')} or newer first; "
                "nothing was changed",
            )
        known = {name for name in cls.__dataclass_fields__}
        try:
            return cls(**{key: value for key, value in raw.items() if key in known})
        except TypeError as e:
            raise BackupError(f"{source} has an incomplete manifest ({e})",
                              "nothing was changed; use another backup") from None

    def root_of(self, member: str) -> dict[str, str] | None:
        """The root a (non-hub) member lies in, if any."""
        for root in self.roots:
            top = archive_name(root["path"])
            if member == top or member.startswith(top + "/"):
                return root
        return None


def archive_name(path: str) -> str:
    """The member name of an absolute path."""
    return path.lstrip("/")


def safe_name(name: str) -> bool:
    """A relative, normalised member name: nothing above the root, no '.' or '..' parts."""
    return (
        bool(name)
        and not name.startswith("/")
        and "\0" not in name
        and posixpath.normpath(name) == name
        and ".." not in name.split("/")
    )
