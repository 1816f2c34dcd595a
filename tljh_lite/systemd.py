"""systemctl and journalctl, through the command seam."""

from __future__ import annotations

import re
import time

from .commands import Runner
from .errors import TljhError

_EXCEPTION = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception)|SyntaxError|error)\b.*", re.I)


class Systemd:
    def __init__(self, runner: Runner):
        self.runner = runner

    def daemon_reload(self) -> None:
        self.runner.run(["systemctl", "daemon-reload"])

    def enable(self, unit: str) -> None:
        self.runner.run(["systemctl", "enable", "--quiet", unit])

    def start(self, unit: str) -> None:
        self.runner.run(["systemctl", "start", unit], check=False)

    def restart(self, unit: str, wait: bool = False) -> None:
        """Restart `unit`; with `wait`, return once it has started, or raise a
        TljhError with the reason from its journal (without, return at once)."""
        # A unit that crash-looped has hit its start limit; clear that first.
        self.runner.run(["systemctl", "reset-failed", unit], check=False, quiet=True)
        if not wait:
            self.runner.run(["systemctl", "restart", "--no-block", unit])
            return
        started = time.time()
        if not self.runner.run(["systemctl", "restart", unit], check=False).ok:
            reason = reason_from_journal(self.journal(unit, 30, since=f"@{int(started)}"))
            raise TljhError(f"{unit} did not start: {reason}", f"see: sudo journalctl -u {unit} -n 50")

    def stop(self, unit: str) -> None:
        self.runner.run(["systemctl", "stop", unit], check=False)

    def is_active(self, unit: str) -> bool:
        return self.runner.run(["systemctl", "is-active", "--quiet", unit], check=False, quiet=True).ok

    def is_enabled(self, unit: str) -> bool:
        return self.runner.run(["systemctl", "is-enabled", "--quiet", unit], check=False, quiet=True).ok

    def property(self, unit: str, name: str) -> str:
        result = self.runner.run(["systemctl", "show", "--value", "-p", name, unit], check=False, quiet=True)
        return result.stdout.strip()

    def restarts(self, unit: str) -> int:
        value = self.property(unit, "NRestarts")
        return int(value) if value.isdigit() else 0

    def evidence(self, unit: str, lines: int = 30) -> str:
        """What a professor (or a bug report) needs when a unit misbehaves."""
        status = self.runner.run(["systemctl", "status", "--no-pager", "--lines=0", unit], check=False, quiet=True)
        journal = self.journal(unit, lines)
        return f"{status.stdout.rstrip()}\n--- last {lines} lines of journalctl -u {unit} ---\n{journal}"

    def journal(self, unit: str, lines: int = 30, since: str | None = None) -> str:
        argv = ["journalctl", "--no-pager", "-o", "cat", "-n", str(lines), "-u", unit]
        if since:
            argv += ["--since", since]
        return self.runner.run(argv, check=False, quiet=True).stdout.rstrip()


def reason_from_journal(journal: str) -> str:
    """The line of a failed start that says why: the last exception, else the last line."""
    lines = [line.strip() for line in journal.splitlines() if line.strip()]
    for line in reversed(lines):
        if _EXCEPTION.match(line):
            return line
    return lines[-1] if lines else "no output in the journal"
