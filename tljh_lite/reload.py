"""`tljh-config reload`: restart a service into the new config, or go back to the last good one."""

from __future__ import annotations

import re

from .commands import Runner
from .config.file import ConfigFile
from .config.validate import Checker
from .errors import TljhError
from .health import HubNotReady
from .lastgood import LastGood
from .paths import Paths
from .services import Services
from .units import HUB_UNIT, PROXY_UNIT

UNITS = {"hub": HUB_UNIT, "proxy": PROXY_UNIT}
_EXCEPTION = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception)|SyntaxError|error)\b.*", re.I)


def reason_from_journal(journal: str) -> str:
    """The line of a failed start that says why: the last exception, else the last line."""
    lines = [line.strip() for line in journal.splitlines() if line.strip()]
    for line in reversed(lines):
        if _EXCEPTION.match(line):
            return line
    return lines[-1] if lines else "no output in the journal"


def reload(service: str, paths: Paths, checker: Checker, runner: Runner, timeout: float = 90) -> str:
    config = checker.merged(_checked(paths, checker))
    services = Services(paths, runner)
    last_good = LastGood(paths)
    try:
        version = services.restart(UNITS[service], config, timeout)
    except HubNotReady as failure:
        reason = reason_from_journal(services.systemd.journal(HUB_UNIT, 60))
        if not last_good.exists():
            raise TljhError(f"the hub did not come back: {reason}", failure.hint) from failure
        rejected = last_good.restore()
        services.restart(UNITS[service], checker.merged(ConfigFile(paths.config_file).load()), timeout)
        raise TljhError(
            f"the hub did not start with the new config ({failure.message}): {reason}",
            f"the last config that worked is restored and the hub is running; your changed files are in {rejected}",
        ) from failure
    last_good.save()
    return version


def _checked(paths: Paths, checker: Checker):
    config = ConfigFile(paths.config_file).load()
    checker.check(config)  # never restart into a config we know is bad
    return config
