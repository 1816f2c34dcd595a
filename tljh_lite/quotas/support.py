"""Which filesystems students write to, and whether each can take user quotas (pure).

A student writes to her home, and to her own /tmp and /var/tmp (systemd's
PrivateTmp= keeps them under the machine's /tmp and /var/tmp). Each
filesystem among those that is a disk gets her limit; one that is memory
(tmpfs) counts against her server's memory limit instead.

What each filesystem needs, measured on Debian 12 and 13's kernels
(integration-tests/test_disk_quotas_vm.py):
- ext4 (ext2, ext3): turned on while mounted: a remount with journaled quota
  options, one scan by quotacheck, quotaon; no reboot. A filesystem made with
  the `quota` feature needs only quotaon.
- XFS: only when it mounts (a remount ignores quota options), so `uquota` in
  /etc/fstab and a reboot; for `/` the kernel's command line (rootflags=uquota).
- anything else (overlay, btrfs, NFS, ZFS, ...): not with user quotas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .mounts import Mount, mount_of

STUDENT_PATHS = ("/home", "/tmp", "/var/tmp")
HOMES = "/home"

EXT = frozenset({"ext2", "ext3", "ext4"})
XFS = "xfs"
# A mount option that says quotas are configured for users (ext4's and XFS's spellings).
EXT_USER_OPTIONS = ("usrquota", "usrjquota", "quota")
XFS_USER_OPTIONS = ("usrquota", "uquota", "uqnoenforce", "quota", "qnoenforce")

ON, CAN, AFTER_REBOOT, CANNOT = "on", "can be turned on", "on after a reboot", "cannot"
OWN_VOLUME = "put /home on its own ext4 or XFS volume (docs/disk.md)"

_OTHERS = {
    "overlay": "an overlay filesystem (a container's) has no quotas",
    "btrfs": "btrfs has no user quotas (its quota groups limit subvolumes)",
    "zfs": "ZFS user quotas are set with zfs set userquota@..., which tljh-lite does not do",
    "nfs": "an NFS filesystem's quotas are set on its server",
    "nfs4": "an NFS filesystem's quotas are set on its server",
}


@dataclass(frozen=True)
class Kernel:
    """What the running kernel can do (machine.py reads it)."""

    quota_formats: bool  # quota_v2: ext4's quota files and its quota feature
    xfs_quota: bool  # XFS built with quota support


@dataclass(frozen=True)
class Filesystem:
    """One filesystem that students write to."""

    mount: Mount  # its mount where the whole filesystem is seen (what quota tools are given)
    paths: tuple[str, ...]  # which of STUDENT_PATHS it holds

    @property
    def point(self) -> str:
        return self.mount.point

    @property
    def holds_homes(self) -> bool:
        return HOMES in self.paths

    def what(self) -> str:
        """'/home (ext4)', or '/ (ext4, holding /tmp, /var/tmp)'."""
        held = [p for p in self.paths if p != self.point]
        return f"{self.point} ({self.mount.fstype}{', holding ' + ', '.join(held) if held else ''})"


@dataclass(frozen=True)
class Support:
    filesystem: Filesystem
    state: str  # ON, CAN, AFTER_REBOOT or CANNOT
    why: str  # one line: what it is and why
    hint: str | None = None  # what to do, when there is something to do

    @property
    def kind(self) -> str:
        return "xfs" if self.filesystem.mount.fstype == XFS else "ext4"

    def line(self) -> str:
        return f"{self.filesystem.what()}: {self.why}" + (f"; {self.hint}" if self.hint else "")


def student_filesystems(mounts: list[Mount], paths: Iterable[str] = STUDENT_PATHS) -> list[Filesystem]:
    """The disk filesystems holding students' paths, each once (bind mounts of one
    filesystem are one), named by the mount that shows the whole of it."""
    found: dict[str, tuple[Mount, list[str]]] = {}
    for path in paths:
        mount = mount_of(path, mounts)
        if mount is None or not mount.on_disk:
            continue
        key = mount.device or mount.source
        whole = next((m for m in mounts if (m.device or m.source) == key and m.root == "/"), mount)
        found.setdefault(key, (whole, []))[1].append(path)
    return [Filesystem(mount, tuple(held)) for mount, held in found.values()]


def has_quota_options(mount: Mount) -> bool:
    """Whether the mount says quotas are configured for users (not whether they are enforced)."""
    if mount.fstype == XFS:
        return mount.has_option(*XFS_USER_OPTIONS)
    return mount.fstype in EXT and mount.has_option(*EXT_USER_OPTIONS)


def assess(filesystem: Filesystem, kernel: Kernel, *, quota_on: bool, tools: bool, in_fstab: bool,
           fstab_options: frozenset[str] = frozenset()) -> Support:
    """Where this filesystem stands. `quota_on`: quotaon says user quotas are on; `tools`: the
    quota package is installed; `in_fstab`: /etc/fstab has its line, with `fstab_options`."""
    mount = filesystem.mount
    fstype = mount.fstype
    if fstype not in EXT and fstype != XFS:
        why = _OTHERS.get(fstype, f"{fstype} cannot take user quotas")
        return Support(filesystem, CANNOT, why, OWN_VOLUME if filesystem.holds_homes else None)
    if not tools:
        return Support(filesystem, CANNOT, "the quota tools are missing (Debian's quota package)",
                       "run the installer again, or: sudo apt-get install quota")
    if fstype == XFS:
        return _assess_xfs(filesystem, kernel, quota_on=quota_on, in_fstab=in_fstab, fstab_options=fstab_options)
    if quota_on:
        return Support(filesystem, ON, "user quotas are on")
    if not kernel.quota_formats:
        return Support(filesystem, CANNOT, "this machine's kernel has no disk quota support (no quota_v2)",
                       "run a distribution kernel (Debian's linux-image-amd64 has it); a container has its host's kernel")
    return Support(filesystem, CAN, "user quotas are off; reload turns them on (no reboot needed)")


def _assess_xfs(filesystem: Filesystem, kernel: Kernel, *, quota_on: bool, in_fstab: bool,
                fstab_options: frozenset[str]) -> Support:
    mount = filesystem.mount
    if mount.has_option("usrquota", "uquota", "quota") and quota_on:
        return Support(filesystem, ON, "user quotas are on")
    if mount.has_option("uqnoenforce", "qnoenforce"):
        return Support(filesystem, CANNOT, "it is mounted with uqnoenforce (quotas counted, not enforced)",
                       "use uquota instead in its line of /etc/fstab, then reboot")
    if not kernel.xfs_quota:
        return Support(filesystem, CANNOT, "this machine's kernel has XFS without quota support",
                       "run a distribution kernel (Debian's linux-image-amd64 has it)")
    if mount.point == "/":
        return Support(filesystem, CANNOT, "XFS turns quotas on only when it mounts, and / is mounted by the kernel",
                       "add rootflags=uquota to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, "
                       "reboot, then sudo tljh-config reload (docs/disk.md)")
    if not in_fstab:
        return Support(filesystem, CANNOT, "XFS turns quotas on only when it mounts, and /etc/fstab has no line for it",
                       "mount it with the uquota option (docs/disk.md)")
    if any(option.split("=", 1)[0] in ("uquota", "usrquota", "quota") for option in fstab_options):
        return Support(filesystem, AFTER_REBOOT, "XFS turns quotas on only when it mounts: /etc/fstab has uquota",
                       "reboot the machine, then run sudo tljh-config reload to set the limits")
    return Support(filesystem, CAN, "XFS turns quotas on only when it mounts; reload adds uquota to /etc/fstab, "
                   "then a reboot is needed")
