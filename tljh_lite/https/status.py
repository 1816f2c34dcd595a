"""The record of the last certificate attempt (obtain, renew or check), for `tljh-lite https status`."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..files import atomic_write
from ..paths import Paths


@dataclass(frozen=True)
class Attempt:
    when: float  # unix time
    action: str  # "obtain", "renew", "check"
    ok: bool
    result: str  # what happened, or the one-line error

    def line(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.when))
        return f"{stamp}, {self.action}: {'ok' if self.ok else 'FAILED'}: {self.result}"


def status_file(paths: Paths) -> Path:
    return paths.state_dir / "https-status.json"


def record(paths: Paths, action: str, ok: bool, result: str, now: float | None = None) -> Attempt:
    attempt = Attempt(now or time.time(), action, ok, result)
    atomic_write(status_file(paths), json.dumps(asdict(attempt), indent=2) + "\n", 0o600)
    return attempt


def last_attempt(paths: Paths) -> Attempt | None:
    try:
        return Attempt(**json.loads(status_file(paths).read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None
