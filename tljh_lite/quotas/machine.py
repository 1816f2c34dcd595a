"""Reading what `support.assess` needs from this machine: its mounts, its kernel, its fstab, quotaon's word.

Cheap: a few small files and one `quotaon -p` per filesystem; /proc/kallsyms
(a few MB) only when a filesystem's quotas are off and the kernel must be asked.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..runner import Runner
from .fstab import fstab_line
from .mounts import Mount, parse_mountinfo
from .support import EXT, XFS, Filesystem, Kernel, Support, assess, student_filesystems

MOUNTINFO = Path("/proc/self/mountinfo")
FSTAB = Path("/etc/fstab")
KALLSYMS = Path("/proc/kallsyms")
MODULES = Path("/lib/modules")
# A symbol of the quota_v2 module (built in, or loaded), and of XFS's quota code.
QUOTA_V2_SYMBOL = " v2_read_file_info"
XFS_QUOTA_SYMBOL = " xfs_qm_"


@dataclass(frozen=True)
class Places:
    """The machine's files this package reads; tests point them elsewhere."""

    mountinfo: Path = MOUNTINFO
    fstab: Path = FSTAB
    kallsyms: Path = KALLSYMS
    modules: Path = field(default_factory=lambda: MODULES / os.uname().release)


def kernel_support(kallsyms: str, module_files: list[str]) -> Kernel:
    """From the kernel's symbols (what is built in or loaded) and its module files (what can be loaded)."""
    loadable_v2 = any(name.startswith("quota_v2.ko") for name in module_files)
    return Kernel(quota_formats=QUOTA_V2_SYMBOL in kallsyms or loadable_v2, xfs_quota=XFS_QUOTA_SYMBOL in kallsyms)


def read_kernel(places: Places) -> Kernel:
    try:
        symbols = places.kallsyms.read_text(errors="replace")
    except OSError:
        symbols = ""
    quota_dir = places.modules / "kernel" / "fs" / "quota"
    modules = [p.name for p in quota_dir.iterdir()] if quota_dir.is_dir() else []
    return kernel_support(symbols, modules)


def read_mounts(places: Places) -> list[Mount]:
    return parse_mountinfo(places.mountinfo.read_text())


def quota_is_on(runner: Runner, point: str) -> bool:
    """quotaon's own word that limits are enforced: 'user quota on /home (/dev/vdb) is on' (ext4),
    '... is on (enforced)' (XFS; '(accounting)' counts without enforcing)."""
    result = runner.run(["quotaon", "-p", "-u", point], check=False, quiet=True)
    return any(re.search(r" is on( \(enforced\))?$", line.rstrip()) for line in result.stdout.splitlines())


def have_tools() -> bool:
    return all(shutil.which(tool) for tool in ("quotaon", "quotacheck", "setquota", "repquota"))


def filesystems(places: Places = Places()) -> list[Filesystem]:
    return student_filesystems(read_mounts(places))


def supports(runner: Runner, places: Places = Places()) -> list[Support]:
    """Where every filesystem students write to stands."""
    found = filesystems(places)
    tools = have_tools()
    try:
        fstab_text = places.fstab.read_text()
    except FileNotFoundError:
        fstab_text = ""
    kernel: Kernel | None = None
    result = []
    for filesystem in found:
        fstype = filesystem.mount.fstype
        quota_on = tools and (fstype in EXT or fstype == XFS) and quota_is_on(runner, filesystem.point)
        if not quota_on and kernel is None and (fstype in EXT or fstype == XFS):
            kernel = read_kernel(places)
        line = fstab_line(fstab_text, filesystem.point)
        # Quotas that are on need no word from the kernel: it has what they need.
        result.append(assess(filesystem, kernel or Kernel(True, True), quota_on=quota_on, tools=tools,
                             in_fstab=line is not None, fstab_options=frozenset(line.options) if line else frozenset()))
    return result
