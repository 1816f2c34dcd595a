"""No SSH logins for hub accounts: an sshd drop-in that denies their groups.

A student can write ~/.ssh/authorized_keys from a terminal; with sshd installed
she would then log in outside her server's unit (no memory or CPU limits, no
isolation) and keep doing so after she is dropped from the course. Admins'
accounts are denied too: they are root through sudo, and their way in is the
hub's login. The drop-in is written even where sshd is not installed yet, so
installing openssh-server later is covered. Where sshd is installed, `sshd -T`
checks the whole config with it (and that sshd reads it) before sshd reloads.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..runner import CommandError, Runner
from ..errors import TljhError
from ..files import atomic_write
from ..users.accounts import ADMINS_GROUP, USERS_GROUP

SSHD_DROP_IN = Path("/etc/ssh/sshd_config.d/tljh-lite.conf")
SSHD = Path("/usr/sbin/sshd")
# sshd -T refuses to run without it; ssh.service makes it when it starts (RuntimeDirectory=sshd).
PRIVSEP_DIR = Path("/run/sshd")
SSH_UNIT = "ssh.service"  # Debian's and Ubuntu's name (sshd.service is an alias)
DENIED_GROUPS = (USERS_GROUP, ADMINS_GROUP)
DROP_IN_TEXT = f"""\
# Written by tljh-lite: hub accounts (jupyter-<name>) never log in over SSH.
# Students work in their server, within its limits; admins are root through
# sudo, and log in through the hub. See docs/security.md.
DenyGroups {' '.join(DENIED_GROUPS)}
"""


def ensure_no_ssh(runner: Runner, drop_in: Path = SSHD_DROP_IN, sshd: Path = SSHD,
                  privsep_dir: Path = PRIVSEP_DIR) -> bool:
    """Write the drop-in; check it and reload sshd where sshd is installed. True if written.

    On a failed check the drop-in is put back as it was and sshd is not reloaded.
    """
    try:
        previous: str | None = drop_in.read_text()
    except FileNotFoundError:
        previous = None
    if previous == DROP_IN_TEXT:
        return False
    drop_in.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    atomic_write(drop_in, DROP_IN_TEXT, 0o644)
    if not sshd.exists():
        return True
    try:
        _check(runner, sshd, privsep_dir, drop_in)
    except TljhError:
        if previous is None:
            drop_in.unlink(missing_ok=True)
        else:
            atomic_write(drop_in, previous, 0o644)
        raise
    runner.run(["systemctl", "try-reload-or-restart", SSH_UNIT],
               hint=f"sshd did not reload; check `systemctl status {SSH_UNIT}`")
    return True


def _check(runner: Runner, sshd: Path, privsep_dir: Path, drop_in: Path) -> None:
    privsep_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    result = runner.run([str(sshd), "-T"], quiet=True, check=False)
    if not result.ok:
        raise CommandError(result, f"sshd rejects its config with {drop_in}; fix what `sshd -t` shows, then re-run the installer")
    if not denies(result.stdout, DENIED_GROUPS):
        raise TljhError(
            f"sshd does not read {drop_in}, so students could log in over SSH",
            f"add the line `Include {drop_in.parent}/*.conf` at the top of /etc/ssh/sshd_config, then re-run the installer",
        )


def denies(effective_config: str, groups: tuple[str, ...]) -> bool:
    """Whether `sshd -T` output denies every one of `groups`."""
    denied: set[str] = set()
    for line in effective_config.splitlines():
        key, _, value = line.partition(" ")
        if key.lower() == "denygroups":
            denied.update(re.split(r"[\s,]+", value.strip()))
    return set(groups) <= denied
