"""The one seam through which tljh-lite runs programs on the machine.

Every command is logged with its output; a failing command raises
CommandError carrying that output, so the caller can show the professor the
last lines. Credentials inside URLs are hidden in all of these (see
redact.py); a Result keeps what the command really printed. Unit tests pass a
recording Runner instead of touching the system.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from dataclasses import dataclass
from typing import Mapping, Sequence

from .errors import TljhError
from .redact import redact_urls

log = logging.getLogger("tljh_lite")


@dataclass
class Result:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def show_command(argv: Sequence[str]) -> str:
    """argv as one shell-quoted line, with credentials in URLs hidden."""
    return redact_urls(shlex.join(argv))


class CommandError(TljhError):
    def __init__(self, result: Result, hint: str | None = None):
        self.result = result
        tail = redact_urls(" | ".join(result.output.strip().splitlines()[-3:]))
        message = f"`{show_command(result.argv)}` failed (exit {result.returncode})"
        super().__init__(f"{message}: {tail}" if tail else message, hint)

    def last_lines(self, n: int = 20) -> str:
        return redact_urls("\n".join(self.result.output.rstrip().splitlines()[-n:]))


class Runner:
    """Runs commands; override `_execute` to record instead."""

    def run(
        self,
        argv: Sequence[str],
        *,
        input: str | None = None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        timeout: float | None = 900,
        hint: str | None = None,
        quiet: bool = False,
    ) -> Result:
        argv = [str(a) for a in argv]
        if not quiet:
            log.info("$ %s", show_command(argv))
        result = self._execute(argv, input=input, env=env, timeout=timeout)
        if result.output.strip() and not quiet:
            log.debug("%s", redact_urls(result.output.rstrip()))
        if check and not result.ok:
            log.error("exit %s: %s", result.returncode, show_command(argv))
            raise CommandError(result, hint)
        return result

    def _execute(self, argv, *, input, env, timeout) -> Result:
        try:
            done = subprocess.run(
                argv,
                input=input,
                capture_output=True,
                text=True,
                env=None if env is None else dict(env),
                timeout=timeout,
            )
        except FileNotFoundError:
            return Result(argv, 127, "", f"{argv[0]}: command not found\n")
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            return Result(argv, 124, out, f"timed out after {timeout:g} s\n")
        return Result(argv, done.returncode, done.stdout, done.stderr)
