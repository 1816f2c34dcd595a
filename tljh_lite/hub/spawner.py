"""The spawner: SystemdSpawner, plus a unix account per student made on first start.

The class keeps TLJH's name, UserCreatingSpawner, so `jupyterhub_config.d`
snippets and tutorials written for TLJH (`c.UserCreatingSpawner...`) apply.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import sys
from pathlib import Path

from jupyterhub.utils import random_port
from systemdspawner import SystemdSpawner
from tornado import web
from traitlets import Dict, List, Unicode

from ..downloads.settings import server_env
from ..paths import Paths
from ..runner import Runner
from .listening import wait_until_listening
from .portledger import PortLedger, servers_range
from ..plugins import installed_plugins
from ..quotas.newaccount import limit_new_account
from ..students.markers import NewUserMarkers
from ..students.unit import unit_properties
from ..unixname import unix_username
from ..users.accounts import ADMINS_GROUP, USERS_GROUP, AccountOfAnother, claim_account, set_groups
from .startup import unix_groups_now


PORTS = PortLedger(servers_range())  # one per hub process: every spawn goes through it


class UserCreatingSpawner(SystemdSpawner):
    user_groups = Dict(
        key_trait=Unicode(),
        value_trait=List(Unicode()),
        config=True,
        help="unix group -> hub users to add to it when their server starts (users.extra_user_groups)",
    )

    install_prefix = Unicode(
        "/opt/tljh",
        config=True,
        help="where config.yaml is read from at each server start, for the unix groups (Paths.prefix)",
    )

    new_user_hooks_dir = Unicode(
        "/opt/tljh/state/new-user-hooks",
        config=True,
        help="where markers record the accounts whose plugins' tljh_new_user_create has not yet succeeded",
    )

    disk_limit = Unicode(
        None,
        allow_none=True,
        config=True,
        help="the disk quota of a new student's account, like 500M (limits.disk; groups' through group_overrides)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What the config asked for; start() puts ours around it (students.unit).
        self._configured_properties = dict(self.unit_extra_properties)
        self._port_from_ledger = 0

    def _expand_user_vars(self, string: str) -> str:
        # {USERNAME} in unit and account names is the unix account, jupyter-<name>.
        return string.format(USERNAME=unix_username(self.user.name), USERID=self.user.id)

    async def start(self):
        await asyncio.to_thread(self._ensure_account)
        if self.user.admin:
            # Admins use sudo from their terminal. NoNewPrivileges=yes forbids it, and
            # so does PrivateDevices=yes, which implies NoNewPrivileges for units with
            # a User= (systemd.exec(5), PrivateDevices=).
            self.disable_user_sudo = False
            self.isolate_devices = False
        self.unit_extra_properties = unit_properties(self._configured_properties, admin=self.user.admin,
                                                     mem_limit=self.mem_limit)
        address = await super().start()
        if address is not None:
            # JupyterHub's own wait polls at growing random intervals: see tljh_lite.hub.listening.
            await wait_until_listening(*address, timeout=self.http_timeout, stopped=self._stopped)
        return address

    def _port_of_this_start(self) -> None:
        """Our port in place of the kernel's that SystemdSpawner.start() has just taken: before
        anything reads it (get_env's JUPYTERHUB_SERVICE_URL, which the server binds, comes first;
        then get_args, and start's answer to the hub). tljh_lite.hub.portledger says why."""
        if self.port != self._port_from_ledger:  # once per start, however often this is asked
            self.port = self._port_from_ledger = PORTS.pick(random_port)

    def get_args(self):
        self._port_of_this_start()
        return super().get_args()

    async def _stopped(self) -> str | None:
        if await self.poll() is None:
            return None
        return (f"the server's unit {self.unit_name} stopped while starting; "
                f"an admin can see why with: sudo journalctl -u {self.unit_name} -n 50")

    def get_env(self):
        # The hub's download settings (its unit's EnvironmentFile): students' pip and
        # nbgitpuller go through the campus proxy too, without its password.
        self._port_of_this_start()
        env = super().get_env()
        env.update(server_env(os.environ, admin=bool(self.user.admin)))
        return env

    def _ensure_account(self) -> None:
        runner = Runner()
        name = unix_username(self.user.name)
        # Plugins' new-user hooks are owed from before the account exists until
        # they succeed, so a plugin error never leaves an account half set up
        # for good, and a finished account never runs them twice.
        markers = NewUserMarkers(self.new_user_hooks_dir)
        if not _account_exists(name):
            markers.expect(name)
        try:
            name, made = claim_account(runner, self.user.name)
        except AccountOfAnother as refused:
            self.log.error("Refused to start %s's server on the unix account %s: %s", self.user.name, refused.account,
                           f"it is recorded for hub user {refused.owner!r}" if refused.owner
                           else "it has no record of its hub user (docs/security.md, 'Unix accounts')")
            raise _refusal(str(refused)) from refused
        if made:
            self.log.info("Created unix account %s for %s", name, self.user.name)
            limited = limit_new_account(runner, sys.executable, name, self.disk_limit)
            if limited is not None and not limited.ok:
                self.log.warning("Could not set the disk quota of %s: %s", name, limited.output.strip())
        groups = self._unix_groups()
        wanted = {USERS_GROUP} | {g for g, members in groups.items() if self.user.name in members}
        if self.user.admin:
            wanted.add(ADMINS_GROUP)
        set_groups(runner, name, wanted, managed=[USERS_GROUP, ADMINS_GROUP, *self.user_groups, *groups])
        markers.run_if_owed(name, lambda account: installed_plugins().hook.tljh_new_user_create(username=account))

    def _unix_groups(self) -> dict[str, list[str]]:
        """config.yaml's unix groups as they are now (a course enrolment takes effect at her next start,
        with no hub restart); those of the hub's start if config.yaml cannot be read now."""
        try:
            return unix_groups_now(Paths(Path(self.install_prefix)))
        except Exception as e:  # a config being edited badly must not stop students' servers
            self.log.warning("Unix groups from the hub's start, config.yaml could not be read now: %s", e)
            return dict(self.user_groups)


def _refusal(message: str) -> web.HTTPError:
    """A spawn refused on purpose: JupyterHub shows `message` on the spawn page and in its API's answer,
    and (JupyterHub 6's SpawnException) counts it as a refusal, not as the hub failing."""
    try:
        from jupyterhub.spawner import SpawnException
    except ImportError:  # JupyterHub 5
        return web.HTTPError(403, "%s", message)
    return SpawnException(message, reason="account", status_code=403)


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
