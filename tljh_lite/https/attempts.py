"""The record of the last certificate attempt (obtain, renew or check), for `tljh-lite https status`."""

from __future__ import annotations

from pathlib import Path

from ..attempts import Attempt, read_attempt, record_attempt
from ..paths import Paths

__all__ = ["Attempt", "last_attempt", "record", "status_file"]


def status_file(paths: Paths) -> Path:
    return paths.state_dir / "https-status.json"


def record(paths: Paths, action: str, ok: bool, result: str, now: float | None = None) -> Attempt:
    return record_attempt(status_file(paths), action, ok, result, now)


def last_attempt(paths: Paths) -> Attempt | None:
    return read_attempt(status_file(paths))
