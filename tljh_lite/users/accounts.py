"""Unix accounts for students and admins, and the groups that give admins sudo."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path
from typing import Iterable

from ..errors import TljhError
from ..runner import Runner
from ..unixname import PREFIX, Comment, account_comment, record_of, recorded_user, unix_username

USERS_GROUP = "jupyterhub-users"
ADMINS_GROUP = "jupyterhub-admins"
SUDOERS_FILE = Path("/etc/sudoers.d/jupyterhub-admins")
SUDOERS_TEXT = f"""\
# Written by tljh-lite: hub admins may run anything as root from their
# notebook server's terminal (they have no unix password).
%{ADMINS_GROUP} ALL = (ALL) NOPASSWD: ALL
# Admins are exempt from secure_path, so sudo finds commands on their own PATH,
# where the students' environment comes first, and `sudo -E` keeps that PATH:
# `sudo -E pip install PACKAGE` installs PACKAGE for the whole class (as in TLJH).
Defaults exempt_group = {ADMINS_GROUP}
"""


class AccountOfAnother(TljhError):
    """A hub user's server would run on a unix account that is not recorded as hers.

    The message is what the hub shows her on the spawn page, so it names no one
    else; `owner` (None: recorded for nobody) is for the hub's log.
    """

    def __init__(self, account: str, owner: str | None):
        self.account, self.owner = account, owner
        whose = "recorded for another hub user" if owner else "made without a record of whose it is"
        super().__init__(f"the unix account {account} is {whose}, so this server cannot start on it",
                         "ask an admin: the hub's log says whose account it is (sudo journalctl -u jupyterhub)")


def ensure_user(runner: Runner, name: str, comment: str | None = None) -> bool:
    """Create the unix account if it is missing (with `comment` as its GECOS); True if it was created.

    The home directory starts as a copy of /etc/skel (useradd's --create-home
    does that), so what plugins put there (a link to a shared folder) every
    new student gets. It is private (0700): students cannot read each other's work.
    """
    try:
        pwd.getpwnam(name)
        return False
    except KeyError:
        pass
    argv = ["useradd", "--create-home", "--shell", "/bin/bash", "--user-group"]
    runner.run(argv + (["--comment", comment] if comment is not None else []) + [name])
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    return True


def ensure_system_user(runner: Runner, name: str, home: Path) -> bool:
    """A system account with no login (a plugin's service account, e.g. a course's grader), its
    home at `home` (made 0700 if missing), in a group of its own name; True if it was created."""
    try:
        pwd.getpwnam(name)
        return False
    except KeyError:
        pass
    runner.run(["useradd", "--system", "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
                "--user-group", name])
    account = pwd.getpwnam(name)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(home, account.pw_uid, account.pw_gid)
    os.chmod(home, 0o700)
    return True


def claim_account(runner: Runner, hub_username: str, comment_of: Comment = account_comment) -> tuple[str, bool]:
    """The unix account a hub user's server runs as: made, with her record, if missing.

    Returns (account, made). An account recorded for another hub user is
    refused, and so is an unrecorded one, except the short-name account
    `jupyter-<name>`, which no other hub name can lead to: it is hers, and is
    recorded now (accounts made before records existed, or by a plugin).
    """
    account = unix_username(hub_username, comment_of)
    comment = comment_of(account)
    if comment is None:
        return account, ensure_user(runner, account, record_of(hub_username))
    owner = recorded_user(comment)
    if owner == hub_username:
        return account, False
    if owner is None and account == PREFIX + hub_username:
        record_owner(runner, account, hub_username)
        return account, False
    raise AccountOfAnother(account, owner)


def record_owner(runner: Runner, account: str, hub_username: str) -> None:
    """Record `account` as `hub_username`'s (its GECOS comment)."""
    runner.run(["usermod", "--comment", record_of(hub_username), account])


def remove_user(runner: Runner, name: str) -> None:
    """Remove the unix account if it exists; its home and files stay."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    runner.run(["userdel", name])


def set_groups(runner: Runner, name: str, wanted: Iterable[str], managed: Iterable[str]) -> None:
    """Make `name` a member of exactly the `wanted` groups among the `managed` ones."""
    wanted = set(wanted)
    for group in sorted(set(managed) | wanted):
        ensure_group(runner, group)
        if group in wanted:
            add_to_group(runner, name, group)
        else:
            remove_from_group(runner, name, group)


def add_to_group(runner: Runner, name: str, group: str) -> None:
    """Make `name` a member of an existing `group`, if it is not one already."""
    if name not in grp.getgrnam(group).gr_mem:
        runner.run(["gpasswd", "--add", name, group])


def remove_from_group(runner: Runner, name: str, group: str) -> None:
    if name in grp.getgrnam(group).gr_mem:
        runner.run(["gpasswd", "--delete", name, group])


def ensure_group(runner: Runner, group: str) -> None:
    try:
        grp.getgrnam(group)
    except KeyError:
        runner.run(["groupadd", "--force", group])
