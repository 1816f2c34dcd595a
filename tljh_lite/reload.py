"""`tljh-config reload`: restart a service into the new config, or go back to the last good one."""

from __future__ import annotations

import time
from typing import Callable

from pathlib import Path

from .apt import Distro
from .auth.switch import before_restart
from .runner import Runner
from .config.file import ConfigFile
from .config.checker import Checker
from .downloads.settings import keep_mirror
from .errors import TljhError
from .health import HubNotReady
from .lastgood import LastGood
from .paths import Paths
from .quotas.apply import apply_disk_limits
from .users.admission import known_users
from .plugins import installed_plugins, reconcile
from .systemd import reason_from_journal
from .hub.unit import HUB_UNIT
from .units.manager import UnitManager
from .users.promotion import secure_new_admins
from .zram.setup import ensure_zram

OS_RELEASE = Path("/etc/os-release")


def reload(service: str, paths: Paths, checker: Checker, runner: Runner, timeout: float = 90,
           say: Callable[[str], None] = lambda text: None, pm=None) -> str:
    """Restart `service` ("hub" or "proxy") into config.yaml as it is now; the hub's version.

    Before a hub restart, plugins make the machine match the new config
    (`tljh_lite_reconcile`; `pm`: the loaded plugins, by default this
    environment's): a plugin that cannot stops the reload, the hub untouched.
    """
    config = checker.merged(_checked(paths, checker))
    keep_mirror(paths, config["pip"]["index_url"])  # pip.conf now; the hub's environment at its restart
    units = UnitManager(paths, runner, say=say)
    last_good = LastGood(paths)
    if service == "proxy":
        previous = checker.merged(ConfigFile(last_good.config_file).load()) if last_good.exists() else None
        version = units.switch_proxy(config, timeout, previous)
    else:
        # plugins first: one that cannot make the machine match stops the reload with nothing changed
        reconcile(pm if pm is not None else installed_plugins(), config)
        for new_admin in secure_new_admins(config, paths):  # never an admin with a stranger's password
            for line in new_admin.lines():
                say(line)
        for line in before_restart(config, paths):  # an admin never locked out without a word
            say(line)
        version = _restart_hub(units, paths, checker, last_good, config, timeout)
        # Once the hub runs the new config: every account's disk limit (a warning line where
        # a filesystem cannot take quotas; never a failed reload).
        apply_disk_limits(config, runner, known=known_users(paths.hub_db), say=say)
    last_good.save()
    units.schedule(config)
    say(ensure_zram(runner, config, Distro.from_os_release(OS_RELEASE.read_text())))
    return version


def _restart_hub(units: UnitManager, paths: Paths, checker: Checker, last_good: LastGood, config, timeout: float) -> str:
    started = time.time()
    try:
        return units.restart(HUB_UNIT, config, timeout)
    except HubNotReady as failure:
        # Only this restart's lines: an older failure must not be blamed on the new config.
        reason = reason_from_journal(units.systemd.journal(HUB_UNIT, 60, since=f"@{int(started)}"))
        if not last_good.exists():
            raise TljhError(f"the hub did not come back: {reason}", failure.hint) from failure
        rejected = last_good.restore()
        try:
            units.restart(HUB_UNIT, checker.merged(ConfigFile(paths.config_file).load()), timeout)
        except HubNotReady as second:
            raise TljhError(
                f"the hub did not start with the new config ({reason}), and not with the last config that "
                f"worked either ({second.message}), so the problem is not the new config",
                f"look at: sudo journalctl -u {HUB_UNIT} -n 100; your changed files are in {rejected}",
            ) from second
        raise TljhError(
            f"the hub did not start with the new config ({failure.message}): {reason}",
            f"the last config that worked is restored and the hub is running; your changed files are in {rejected}",
        ) from failure


def _checked(paths: Paths, checker: Checker):
    config = ConfigFile(paths.config_file).load()
    checker.check(config)  # never restart into a config we know is bad
    return config
