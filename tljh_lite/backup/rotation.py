"""Names of backups, and keeping the newest `backup.keep` scheduled ones.

Only files named like a scheduled backup are ever deleted; backups made by
hand (`tljh-lite backup create`) and anything else in the folder are kept.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

SCHEDULED = re.compile(r"^tljh-lite-backup-(\d{8}T\d{6}Z)(?:-(\d+))?-scheduled\.tar\.gz$")
ANY = re.compile(r"^tljh-lite-backup-\d{8}T\d{6}Z(-\d+)?(-scheduled)?\.tar\.gz$")


def archive_name(now: float | None = None, scheduled: bool = False) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    return f"tljh-lite-backup-{stamp}{'-scheduled' if scheduled else ''}.tar.gz"


def free_name(folder: Path, name: str) -> Path:
    """folder/name, or name with -2, -3... if a backup of that name exists (two in one second)."""
    candidate, n = folder / name, 1
    while candidate.exists():
        n += 1
        stem = name.removesuffix(".tar.gz").removesuffix("-scheduled")
        candidate = folder / f"{stem}-{n}{'-scheduled' if name.endswith('-scheduled.tar.gz') else ''}.tar.gz"
    return candidate


def to_delete(names: list[str], keep: int) -> list[str]:
    """The scheduled backups beyond the newest `keep` (by the time in their names), oldest first."""
    def when(name: str) -> tuple[str, int]:
        stamp, n = SCHEDULED.match(name).groups()
        return stamp, int(n or 1)

    scheduled = sorted((n for n in names if SCHEDULED.match(n)), key=when)
    return scheduled[: max(len(scheduled) - keep, 0)]


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete the scheduled backups beyond the newest `keep`; the paths deleted."""
    deleted = []
    for name in to_delete([p.name for p in folder.iterdir()], keep):
        (folder / name).unlink(missing_ok=True)
        deleted.append(folder / name)
    return deleted


def backups_in(folder: Path) -> list[Path]:
    """The backups in a folder, newest first."""
    try:
        return sorted((p for p in folder.iterdir() if ANY.match(p.name)), key=lambda p: p.name, reverse=True)
    except FileNotFoundError:
        return []
