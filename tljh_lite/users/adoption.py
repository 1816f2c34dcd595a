"""Accounts made before accounts recorded their hub user: each recorded, once, for the one hub user it can be.

TLJH, and tljh-lite up to 0.3, made `jupyter-*` accounts without saying whose
they are (unixname.py). The first install of a tljh-lite that records owners
(a fresh install, an upgrade, or a TLJH machine moving over) records each such
account for the hub user whose name the old rule turns into it, among the
users the hub knows (its database) and config.yaml names. Their servers then
start on the same account, with the same files, as before.

- An account two known names lead to (the old rule's 20-bit hash let that
  happen) is recorded for neither: neither may start a server on it until an
  admin says whose it is, and the install says so.
- An account no known name leads to stays unrecorded: a long name that leads
  to it later is refused (it may be someone who found a colliding name).

It runs once per machine (a marker in the state folder): later, an unrecorded
account is never given away to a newcomer whose name happens to lead to it.
"""

from __future__ import annotations

import pwd
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..files import atomic_write
from ..paths import Paths
from ..runner import Runner
from ..unixname import PREFIX, record_of, recorded_user, tljh_account_name
from .accounts import record_owner

MARKER = "accounts-adopted"


@dataclass
class Adoption:
    adopt: dict[str, str] = field(default_factory=dict)  # account -> hub user
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # account -> the hub users it could be

    def warnings(self) -> list[str]:
        return [f"Warning: the unix account {account} could be {' or '.join(users)}'s (the old naming rule gives "
                f"them the same account), so neither may start a server until you say whose it is: look at what "
                f"/home/{account} holds, then: sudo usermod --comment '{record_of(users[0])}' {account}"
                for account, users in sorted(self.ambiguous.items())]


def plan_adoption(accounts: Iterable[tuple[str, str]], hub_users: Iterable[str]) -> Adoption:
    """What to record, from (account name, comment) pairs and the hub users known (pure)."""
    leads_to: dict[str, set[str]] = {}
    for user in hub_users:
        leads_to.setdefault(tljh_account_name(user), set()).add(user)
    plan = Adoption()
    for account, comment in accounts:
        if not account.startswith(PREFIX) or recorded_user(comment) is not None:
            continue
        owners = sorted(leads_to.get(account, ()))
        if len(owners) == 1:
            plan.adopt[account] = owners[0]
        elif owners:
            plan.ambiguous[account] = owners
    return plan


def adopt_accounts(paths: Paths, runner: Runner, hub_users: Iterable[str],
                   accounts: Callable[[], Iterable[tuple[str, str]]] | None = None) -> list[str]:
    """Record the unrecorded accounts' owners, unless done before on this machine; returns warnings."""
    marker = paths.state_dir / MARKER
    if marker.exists():
        return []
    found = accounts() if accounts else [(entry.pw_name, entry.pw_gecos) for entry in pwd.getpwall()]
    plan = plan_adoption(found, hub_users)
    for account, user in sorted(plan.adopt.items()):
        record_owner(runner, account, user)
    atomic_write(marker, f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {len(plan.adopt)} accounts recorded, "
                         f"{len(plan.ambiguous)} left to an admin\n", 0o600)
    return plan.warnings()
