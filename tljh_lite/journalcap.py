"""The system journal capped below half of root's reserve, where it shares a filesystem with the hub's state.

On a disk that students have filled, root still writes into the blocks the
filesystem keeps for it (5 % on ext4), and so do the hub's database and
journald. journald's own default cap is 10 % of the filesystem (at most
4 GB), above that reserve, and anyone can write to the log (`logger`), so on
a full disk the log could take all the room the hub needs (docs/disk.md,
measured). A drop-in (journald.conf(5): files in journald.conf.d override the
package's config) caps it at half the reserve, so at least half is left
for the hub whatever is logged.

The reserve is read with statvfs: blocks free to root minus blocks free to
others (ext4's reserved blocks and its own small reserve). On a disk already
full to others' last block that difference is not the reserve, so the drop-in
is then left as it is. A filesystem with no reserve (XFS) gets no cap here:
`tljh-lite status` says that the hub's state has no room kept for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .files import write_if_changed
from .runner import Runner

DROP_IN = Path("/etc/systemd/journald.conf.d/50-tljh-lite.conf")
PERSISTENT_JOURNAL = Path("/var/log/journal")
JOURNALD_DEFAULT_MAX = 4 << 30  # journald's own ceiling on SystemMaxUse's default
MIB = 1 << 20


@dataclass(frozen=True)
class Disk:
    """What statvfs says of a filesystem, in bytes."""

    device: int
    free_to_root: int
    free_to_others: int

    @classmethod
    def of(cls, path: Path) -> Disk:
        stat = os.statvfs(path)
        return cls(os.stat(path).st_dev, stat.f_bfree * stat.f_frsize, stat.f_bavail * stat.f_frsize)


def cap_for(journal: Disk, state: Disk) -> int | None:
    """The journal's cap in bytes (a whole MiB), or None for no cap of ours."""
    if journal.device != state.device or journal.free_to_others == 0:
        return None
    cap = min(JOURNALD_DEFAULT_MAX, (journal.free_to_root - journal.free_to_others) // 2) // MIB * MIB
    return cap or None  # less than a MiB kept for root (XFS keeps nothing): nothing to protect here


def drop_in_text(cap: int) -> str:
    return (
        "# Written by tljh-lite: the journal may use at most half of the blocks this filesystem keeps for root,\n"
        "# so a full disk leaves the hub's database room (see tljh-lite's docs/disk.md).\n"
        f"[Journal]\nSystemMaxUse={cap // MIB}M\n"
    )


def ensure_journal_cap(runner: Runner, state_dir: Path, drop_in: Path = DROP_IN,
                       journal_dir: Path = PERSISTENT_JOURNAL, measure: Callable[[Path], Disk] = Disk.of) -> str | None:
    """Write (or remove) the drop-in and restart journald when it changed; a line for the professor when
    something changed, else None."""
    if not journal_dir.is_dir():
        return None  # a journal in memory only (/run) takes nothing from the disk
    journal, state = measure(journal_dir), measure(state_dir)
    if journal.device == state.device and journal.free_to_others == 0:
        return None  # full to others' last block: the reserve cannot be read now; keep what is there
    cap = cap_for(journal, state)
    if cap is None:
        if not drop_in.exists():
            return None
        drop_in.unlink()
        changed = True
    else:
        drop_in.parent.mkdir(parents=True, exist_ok=True)
        changed = write_if_changed(drop_in, drop_in_text(cap))
    if not changed:
        return None
    runner.run(["systemctl", "restart", "systemd-journald"], hint="see: sudo journalctl -b -u systemd-journald")
    if cap is None:
        return "system journal: journald's own cap again (its filesystem no longer holds the hub's state, or keeps nothing for root)"
    return f"system journal: at most {cap // MIB} MiB from now on (half of what its filesystem keeps for root)"
