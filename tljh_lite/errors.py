"""The errors tljh-lite raises on purpose.

Every error carries a one-line message saying what is wrong and, where we can
tell, a hint saying what to do next. Only the command-line entry points turn
them into output and exit codes (see `tljh_lite.cli.framework.run`).
"""

from __future__ import annotations


class TljhError(Exception):
    """An expected failure, reported to the professor as one line."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message

    __str__ = one_line


class ConfigError(TljhError):
    """config.yaml, or an edit to it, is not valid."""


class ConfigBusyError(TljhError):
    """Another process holds the config lock."""


class PermissionNeededError(TljhError):
    """The command needs root (or write access) it does not have."""
