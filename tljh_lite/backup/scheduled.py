"""What the timer runs: a backup into backup.path, the newest backup.keep kept, every attempt recorded.

A failure is never silent: the unit fails (`systemctl --failed`), its one
line is in the journal, and `tljh-lite backup status` shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from ..attempts import Attempt, read_attempt, record_attempt
from ..errors import TljhError
from ..paths import Paths
from .create import Created, backup_folder, create
from .rotation import rotate

ACTION = "scheduled backup"


def status_file(paths: Paths) -> Path:
    return paths.state_dir / "backup-status.json"


def run_scheduled(paths: Paths, config: Mapping[str, Any], pm,
                  say: Callable[[str], None] = lambda text: None) -> tuple[Created, list[Path]]:
    """Make a scheduled backup and rotate; returns it and the old backups deleted."""
    try:
        created = create(paths, config, pm, scheduled=True, say=say)
        deleted = rotate(backup_folder(config), config["backup"]["keep"])
    except TljhError as e:
        record_attempt(status_file(paths), ACTION, False, e.one_line())
        raise
    record_attempt(status_file(paths), ACTION, True, created.summary().splitlines()[0])
    return created, deleted


def last_scheduled(paths: Paths) -> Attempt | None:
    return read_attempt(status_file(paths))
