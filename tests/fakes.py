"""Test doubles: a Runner that records commands instead of running them; what a password store holds."""

from __future__ import annotations

import dbm

from tljh_lite.commands import Result, Runner
from tljh_lite.paths import Paths
from tljh_lite.users import passwords


class RecordingRunner(Runner):
    def __init__(self, answers: dict[tuple[str, ...], Result] | None = None):
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def _execute(self, argv, *, input, env, timeout) -> Result:
        self.calls.append(argv)
        for prefix, result in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return result
        return Result(argv, 0, "", "")


def stored(paths: Paths) -> dict[str, str]:
    """FirstUse's password database as {name: hash}; {} when there is none."""
    try:
        with dbm.open(str(passwords.passwords_dbm(paths)), "r") as db:
            return {key.decode(): db[key].decode() for key in db.keys()}
    except dbm.error:
        return {}
