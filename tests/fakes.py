"""A Runner that records commands instead of running them."""

from __future__ import annotations

from tljh_lite.commands import Result, Runner


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
