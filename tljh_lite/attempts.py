"""The record of the last attempt at something done unattended (a renewal, a scheduled backup).

Timers run them with nobody watching; the record lets a status command say
when the last one ran and whether it worked.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import atomic_write


@dataclass(frozen=True)
class Attempt:
    when: float  # unix time
    action: str  # e.g. "renew", "scheduled backup"
    ok: bool
    result: str  # what happened, or the one-line error
    notes: tuple[str, ...] = ()  # what needs a look although it worked (a backup's skipped entries)

    def line(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.when))
        return f"{stamp}, {self.action}: {'ok' if self.ok else 'FAILED'}: {self.result}"


def record_attempt(path: Path, action: str, ok: bool, result: str, now: float | None = None,
                   notes: list[str] | tuple[str, ...] = ()) -> Attempt:
    attempt = Attempt(now or time.time(), action, ok, result, tuple(notes))
    atomic_write(path, json.dumps(asdict(attempt), indent=2) + "\n", 0o600)
    return attempt


def read_attempt(path: Path) -> Attempt | None:
    try:
        raw = json.loads(path.read_text())
        return Attempt(**{**raw, "notes": tuple(raw.get("notes", ()))})
    except (FileNotFoundError, ValueError, TypeError):
        return None
