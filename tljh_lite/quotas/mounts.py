"""Which filesystem holds a path, read from the text of /proc/self/mountinfo (pure).

mountinfo (proc(5)) rather than /proc/mounts: it names the mount's own
options and the filesystem's (the super options, where ext4 and XFS say
`usrquota`), and it escapes spaces in paths the same way on every line.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

# Filesystems that are memory, not disk: a student's writes there count against
# her server's memory limit (systemd charges tmpfs pages to her unit's cgroup).
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})


@dataclass(frozen=True)
class Mount:
    point: str  # where it is mounted, e.g. /home
    fstype: str  # ext4, xfs, overlay, tmpfs, ...
    source: str  # the device, e.g. /dev/vdb, /dev/loop0, overlay
    options: frozenset[str]  # mount and super options together: rw, relatime, usrquota, usrjquota=aquota.user
    device: str = ""  # major:minor, the same for every bind mount of one filesystem
    root: str = "/"  # the folder of the filesystem shown here ("/": all of it; a bind mount shows less)

    def has_option(self, *names: str) -> bool:
        """Whether any of these options is set (`name` or `name=value`)."""
        return any(option.split("=", 1)[0] in names for option in self.options)

    @property
    def on_disk(self) -> bool:
        return self.fstype not in MEMORY_FILESYSTEMS


def _unescape(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in paths as octal escapes.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    """Every mount in the text, in the kernel's order (a later mount over the same point hides earlier ones)."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        if len(fields) < dash + 4:
            continue
        options = {*fields[5].split(","), *fields[dash + 3].split(",")}
        mounts.append(Mount(_unescape(fields[4]), fields[dash + 1], _unescape(fields[dash + 2]), frozenset(options),
                            device=fields[2], root=_unescape(fields[3])))
    return mounts


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount that holds `path` (an absolute, resolved path): the deepest mount point above it,
    the last one mounted there."""
    path = posixpath.normpath(path)
    best: Mount | None = None
    for mount in mounts:
        point = mount.point
        inside = path == point or point == "/" or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.point)):
            best = mount
    return best
