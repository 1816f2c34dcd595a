"""Turning user quotas on for one filesystem, as Debian's quota tools do it, and keeping them on at boot.

ext4, while mounted (measured on Debian 12 and 13, no reboot):
1. `mount -o remount,usrjquota=aquota.user,jqfmt=vfsv1 POINT`: journaled quota
   files, so a crash never needs a new scan (the kernel says "Quota mode:
   journalled"); a filesystem made with the `quota` feature takes `usrquota`;
2. `quotacheck -cum -F vfsv1 POINT`: one scan of its files, while mounted
   (`-m`), into POINT/aquota.user (without -c when the file exists, so the
   limits in it are kept);
3. `quotaon -u POINT`;
4. the same options in its line of /etc/fstab, only after the kernel took
   them: at boot systemd runs quotaon for every filesystem mounted with them.

XFS only takes quota options when it mounts: `uquota` goes into /etc/fstab,
and quotas are on after the next reboot.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..runner import CommandError, Runner
from .fstab import add_options, fstab_line
from .machine import Places
from .support import AFTER_REBOOT, CAN, CANNOT, EXT_USER_OPTIONS, ON, XFS, Support, has_quota_options

JOURNALED = ["usrjquota=aquota.user", "jqfmt=vfsv1"]
QUOTA_FILE = "aquota.user"
XFS_OPTIONS = ["uquota"]


def has_quota_feature(runner: Runner, source: str) -> bool:
    """ext4's `quota` feature: the kernel keeps the quota files hidden, no quotacheck needed."""
    result = runner.run(["tune2fs", "-l", source], check=False, quiet=True)
    features = next((line for line in result.stdout.splitlines() if line.startswith("Filesystem features:")), "")
    return "quota" in features.split(":", 1)[-1].split()


def turn_on(runner: Runner, support: Support, places: Places = Places()) -> Support:
    """Quotas on for a filesystem that can take them (state CAN); the new state, never an exception:
    a failure is the CANNOT state with the command's own words."""
    if support.state != CAN:
        return support
    try:
        if support.filesystem.mount.fstype == XFS:
            return _xfs(support, places)
        return _ext4(runner, support, places)
    except (CommandError, OSError) as e:
        return replace(support, state=CANNOT, why=f"turning quotas on failed: {e}",
                       hint="see docs/disk.md, or put /home on its own ext4 or XFS volume")


def _ext4(runner: Runner, support: Support, places: Places) -> Support:
    mount = support.filesystem.mount
    point = mount.point
    feature = has_quota_feature(runner, mount.source)
    options = ["usrquota"] if feature else JOURNALED
    ours = not has_quota_options(mount)
    if ours:
        runner.run(["mount", "-o", ",".join(["remount", *options]), point])
    if not feature:
        fmt = ["-F", "vfsv1"] if ours else []
        create = [] if (Path(point) / QUOTA_FILE).exists() else ["-c"]
        # -u users, -m while mounted (no remount read-only): counts taken while
        # students write may be a little off until their next write.
        runner.run(["quotacheck", "-um", *create, *fmt, point], timeout=3600)
    runner.run(["quotaon", "-u", point])
    persisted = _persist(places, point, options, EXT_USER_OPTIONS)
    if persisted is None:
        return replace(support, state=ON, why="user quotas are on until the next reboot",
                       hint=f"/etc/fstab has no line for {point}: add {','.join(options)} to its mount options")
    return replace(support, state=ON, why="user quotas are on (turned on now, kept on at boot by /etc/fstab)",
                   hint=None)


def _xfs(support: Support, places: Places) -> Support:
    point = support.filesystem.point
    if _persist(places, point, XFS_OPTIONS, ("uquota", "usrquota", "quota")) is None:
        return replace(support, state=CANNOT, why="/etc/fstab has no line for it", hint="mount it with uquota")
    return replace(support, state=AFTER_REBOOT, why="uquota is now in /etc/fstab; XFS turns quotas on when it mounts",
                   hint="reboot the machine, then run sudo tljh-config reload to set the limits")


def _persist(places: Places, point: str, options: list[str], already: tuple[str, ...]) -> bool | None:
    """The options in fstab, unless its line has quota options of its own already."""
    try:
        text = places.fstab.read_text()
    except FileNotFoundError:
        return None
    line = fstab_line(text, point)
    if line is None:
        return None
    if any(option.split("=", 1)[0] in already for option in line.options):
        return False
    return add_options(places.fstab, point, options)
