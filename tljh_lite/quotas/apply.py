"""What reload and the installer do for disk limits: quotas on where limits are asked for, every account's limit set.

Nothing here stops a reload or an install: a filesystem that cannot take
quotas is a warning line saying why and what to do (the hub works as
before, without the limit), and `tljh-lite status` says it again.
"""

from __future__ import annotations

import pwd
from typing import Any, Callable, Iterable, Mapping

from ..runner import CommandError, Runner
from ..unixname import PREFIX, unix_username
from ..users.groups import limit_of
from . import machine
from .limits import set_limits
from .support import CAN, ON, Support
from .turnon import turn_on

Config = Mapping[str, Any]


def limits_asked(config: Config) -> bool:
    """Whether any disk limit is set: limits.disk, or a group's."""
    return config["limits"]["disk"] is not None or any(
        ((group.get("limits") or {}).get("disk")) is not None for group in config["groups"].values())


def hub_accounts() -> list[str]:
    """The unix accounts of hub users (jupyter-<name>)."""
    return sorted(entry.pw_name for entry in pwd.getpwall() if entry.pw_name.startswith(PREFIX))


def hub_names(config: Config, accounts: Iterable[str], known: Iterable[str] = ()) -> dict[str, str]:
    """account -> hub user name, for the names config.yaml and the hub know; an account of a name
    neither knows is taken as jupyter-<name> (a long name's account, cut and hashed, cannot be)."""
    users = config["users"]
    names = {*users["allowed"], *users["admin"], *users["banned"], *known,
             *(member for group in config["groups"].values() for member in group.get("users") or [])}
    by_account = {unix_username(name.lower()): name.lower() for name in names}
    return {account: by_account.get(account) or account.removeprefix(PREFIX) for account in accounts}


def wanted_limits(config: Config, accounts: Iterable[str], known: Iterable[str] = ()) -> dict[str, str | None]:
    """Each account's limit (None: no limit), the largest of her groups' as in the hub (users.groups.limit_of)."""
    names = hub_names(config, accounts, known)
    return {account: limit_of(config, name, "disk") for account, name in names.items()}


def apply_disk_limits(config: Config, runner: Runner, *, known: Iterable[str] = (),
                      accounts: list[str] | None = None, places: machine.Places = machine.Places(),
                      say: Callable[[str], None] = lambda text: None) -> list[Support]:
    """Quotas turned on where limits are asked for and the filesystem can take them, then every
    account's limit set where quotas are on (also when no limit is asked any more: then to none).
    Says what it does and, for each filesystem that cannot, one warning line; returns where each stands."""
    asked = limits_asked(config)
    supports = machine.supports(runner, places)
    if not asked and not any(s.state == ON for s in supports):
        return supports  # nothing asked, nothing on: nothing to touch
    accounts = hub_accounts() if accounts is None else accounts
    limits = wanted_limits(config, accounts, known)
    result = []
    for support in supports:
        if asked and support.state == CAN:
            say(f"Turning on disk quotas on {support.filesystem.what()} (one scan of its files)...")
            support = turn_on(runner, support, places)
        if support.state == ON:
            try:
                set_limits(runner, support.filesystem.point, limits)
            except CommandError as e:
                say(f"warning: disk quotas: could not set the limits on {support.filesystem.what()}: {e}")
        if asked and (support.state != ON or support.hint):
            say(f"warning: disk quotas: {support.line()}")
        result.append(support)
    return result
