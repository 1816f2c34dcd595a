"""What the timer runs: a backup into backup.path, the newest backup.keep kept, every attempt recorded.

A failure is never silent, whatever it is (a full disk, a bug, the unit
stopped or killed): the attempt is recorded as unfinished before it starts,
any exception is recorded before it ends the run, SIGTERM (`systemctl
stop`, a shutdown) is one too, the unit fails (`systemctl --failed`), its
one line is in the journal, and `tljh-lite backup status` and `tljh-lite
status` show it as needing attention. A backup that worked but left
entries out says how many, and which.
"""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ..attempts import Attempt, read_attempt, record_attempt
from ..errors import TljhError
from ..paths import Paths
from .create import Created, backup_folder, create
from .errors import BackupError
from .rotation import rotate

ACTION = "scheduled backup"
UNFINISHED = ("started, and has not finished: still running, or stopped before the end (see: sudo journalctl "
              "-u tljh-backup.service)")


def status_file(paths: Paths) -> Path:
    return paths.state_dir / "backup-status.json"


def run_scheduled(paths: Paths, config: Mapping[str, Any], pm,
                  say: Callable[[str], None] = lambda text: None) -> tuple[Created, list[Path]]:
    """Make a scheduled backup and rotate; returns it and the old backups deleted."""
    record_attempt(status_file(paths), ACTION, False, UNFINISHED)
    try:
        with _sigterm_raises():
            created = create(paths, config, pm, scheduled=True, say=say)
            deleted = rotate(backup_folder(config), config["backup"]["keep"])
    except BaseException as e:
        record_attempt(status_file(paths), ACTION, False, failure(e))
        raise
    record_attempt(status_file(paths), ACTION, True, created.summary().splitlines()[0],
                   notes=created.skipped_lines())
    return created, deleted


def failure(error: BaseException) -> str:
    """One line for the record: the message of an error we know, else what the exception was."""
    if isinstance(error, TljhError):
        return error.one_line()
    if isinstance(error, KeyboardInterrupt):
        return "interrupted before it finished"
    return (f"{type(error).__name__}: {error} (an error in tljh-lite: the traceback is in sudo journalctl "
            "-u tljh-backup.service)")


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM ends the run through an exception, so it is recorded and the partial archive removed."""
    def stop(signum, frame):
        raise BackupError("the backup was stopped (SIGTERM) before it finished", "no partial file was left; "
                          "it runs again at the next scheduled time, or now: sudo systemctl start tljh-backup")

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: nothing to catch there
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def last_scheduled(paths: Paths) -> Attempt | None:
    return read_attempt(status_file(paths))


def backup_problem(attempt: Attempt | None) -> str | None:
    """What needs the administrator about the last scheduled backup: it failed, or it left entries out."""
    if attempt is None:
        return None
    if not attempt.ok:
        return "the last scheduled backup failed"
    if attempt.notes:
        return "the last scheduled backup left entries out, listed with why"
    return None
