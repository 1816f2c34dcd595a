"""zram on or off, as config.yaml's `zram.enabled` says: run by the installer and by `tljh-config reload`.

A working student's server and kernel keep most of their memory untouched for
minutes at a time (imported code, yesterday's data frames), and those pages
compress about 3:1 (docs/performance.md). With zram they go to compressed
memory when RAM runs short, instead of a student's kernel being killed or
the class slowing on a disk. Fedora and ChromeOS do this by default.

The device is systemd-zram-generator's (Debian and Ubuntu package it): its
default size, half the memory up to 4 GiB of swap, and zstd, which compressed
Python's heaps best. tljh-lite writes one drop-in
(zram-generator.conf(5): files in zram-generator.conf.d override the package's
own config), so turning it off is the same file saying size 0, and nothing
of the package's is edited. Each student's share of it is capped with
limits.memory (students/unit.py, MemorySwapMax=).

A container shares its host's kernel, and swap is not namespaced: there is
nothing to set up there, and this says so instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..apt import Distro, ensure_apt_packages, installed_packages
from ..files import write_if_changed
from ..runner import Runner

PACKAGE = "systemd-zram-generator"
DROP_IN = Path("/etc/systemd/zram-generator.conf.d/50-tljh-lite.conf")
# The generator makes both from the config: the device (made and reset) and the swap on it.
SETUP_UNIT = "systemd-zram-setup@zram0.service"
SWAP_UNIT = "dev-zram0.swap"

ON = """\
# Written by tljh-lite (zram.enabled: true): swap in compressed memory, see tljh-lite's docs/performance.md.
[zram0]
zram-size = min(ram / 2, 4096)
compression-algorithm = zstd
"""
OFF = """\
# Written by tljh-lite (zram.enabled: false): no zram device (zram-generator.conf(5): a size of 0 is discarded).
[zram0]
zram-size = 0
"""


def drop_in_text(enabled: bool) -> str:
    return ON if enabled else OFF


def not_possible(runner: Runner) -> str | None:
    """Why this machine cannot have zram (None: it can)."""
    if runner.run(["systemd-detect-virt", "--container", "--quiet"], check=False, quiet=True).ok:
        return "this is a container, which shares its host's kernel and swap"
    if not runner.run(["modprobe", "--dry-run", "--quiet", "zram"], check=False, quiet=True).ok:
        return "this kernel has no zram module"
    return None


def ensure_zram(runner: Runner, config: Mapping[str, Any], distro: Distro, drop_in: Path = DROP_IN) -> str:
    """Make the machine match zram.enabled; returns what is true now, in a line for the professor."""
    enabled = config["zram"]["enabled"]
    if not enabled and not drop_in.exists() and PACKAGE not in installed_packages(runner):
        return "zram: off (zram.enabled is false)"
    why_not = not_possible(runner)
    if why_not:
        return f"zram: not set up: {why_not}" if enabled else "zram: off (zram.enabled is false)"
    if enabled:
        ensure_apt_packages(runner, distro, [PACKAGE])
    drop_in.parent.mkdir(parents=True, exist_ok=True)
    changed = write_if_changed(drop_in, drop_in_text(enabled))
    if changed:
        runner.run(["systemctl", "daemon-reload"])
    if not enabled or changed:
        # Stopping the device stops its swap first (swapoff brings every swapped page back into
        # memory, so it needs that much free), then resets it; a device made with other settings
        # is made again below.
        runner.run(["systemctl", "stop", SETUP_UNIT],
                   hint="the zram swap could not be turned off (its pages did not fit back in memory); "
                        "stop some students' servers and run the same command again")
    if not enabled:
        return "zram: off (zram.enabled is false)"
    runner.run(["systemctl", "start", SWAP_UNIT], hint=f"see: sudo journalctl -u {SETUP_UNIT}")
    return "zram: on (half the memory, up to 4 GiB, of compressed swap)"
