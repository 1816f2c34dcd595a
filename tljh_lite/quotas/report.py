"""What `tljh-lite status` and `users list` show of the students' disk: quotas, use against limit, the biggest homes.

Reading is cheap when quotas are on (one repquota: the kernel keeps the
count). Without quotas, the biggest homes are measured with `du` only when
the disk is nearly full, bounded in time, never following a student's link
(du's default) nor leaving the filesystem (-x).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..runner import Runner
from ..sizes import show_bytes
from ..unixname import PREFIX
from . import machine
from .apply import hub_names, limits_asked, wanted_limits
from .limits import KIB, Usage, blocks, read_usage
from .support import CAN, ON, Support

FULL_PERCENT = 90.0  # as tljh-lite status's other disk warnings
BIGGEST = 5
DU_TIMEOUT = 60


@dataclass(frozen=True)
class Space:
    total: int
    used: int
    reserved: int  # what only root may use (ext4 keeps 5 % by default; XFS keeps none)

    @property
    def percent(self) -> float:
        return 100 * self.used / self.total if self.total else 0.0


def space(path: str) -> Space:
    st = os.statvfs(path)
    return Space(st.f_blocks * st.f_frsize, (st.f_blocks - st.f_bfree) * st.f_frsize,
                 (st.f_bfree - st.f_bavail) * st.f_frsize)


def same_filesystem(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def measured_homes(runner: Runner, homes: Path = Path("/home")) -> dict[str, int]:
    """Each home's size in bytes with du, for a disk without quotas ({} if du cannot say in time)."""
    try:
        folders = sorted(str(e.path) for e in os.scandir(homes) if e.is_dir(follow_symlinks=False))
    except OSError:
        return {}
    if not folders:
        return {}
    result = runner.run(["du", "-s", "-x", "-B1", "--", *folders], check=False, quiet=True, timeout=DU_TIMEOUT)
    sizes = {}
    for line in result.stdout.splitlines():
        size, _, path = line.partition("\t")
        if size.isdigit():
            sizes[os.path.basename(path)] = int(size)
    return sizes


def disk_report(config: Mapping[str, Any], runner: Runner, state_dir: Path, *, known: Iterable[str] = (),
                places: machine.Places = machine.Places(), homes: Path = Path("/home")) -> dict[str, Any]:
    """The disk part of `tljh-lite status` (its --json), with `problems`: the lines that need the admin."""
    supports = machine.supports(runner, places)
    asked = limits_asked(config)
    homes_support = next((s for s in supports if s.filesystem.holds_homes), None)
    usage = read_usage(runner, homes_support.filesystem.point) if homes_support and homes_support.state == ON else {}
    names = hub_names(config, [a for a in usage if a.startswith(PREFIX)], known)
    students = sorted(({"account": a, "name": names[a], "used": usage[a].used, "limit": usage[a].limit,
                        "files": usage[a].files} for a in names), key=lambda s: (-s["used"], s["account"]))
    problems = [f"disk quotas: {s.line()}" for s in supports if asked and s.state != ON]
    if usage:
        wanted = wanted_limits(config, [s["account"] for s in students], known)
        missing = [s["account"] for s in students if (s["limit"] or 0) != blocks(wanted[s["account"]]) * KIB]
        if missing:
            problems.append(f"disk quotas: {len(missing)} accounts do not have the limit config.yaml gives them "
                            f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}); run: sudo tljh-config reload")
    report: dict[str, Any] = {
        "limits_asked": asked,
        "filesystems": [_described(s) for s in supports],
        "students": students,
        "at_limit": [s["account"] for s in students if usage[s["account"]].over],
        "biggest_homes": [],
    }
    if os.path.isdir(homes):
        home_space = space(str(homes))
        report["homes"] = {"path": str(homes), "total": home_space.total, "used": home_space.used,
                           "reserved_for_root": home_space.reserved}
        if home_space.percent >= FULL_PERCENT:
            sizes = {s["account"]: s["used"] for s in students} or measured_homes(runner, homes)
            report["biggest_homes"] = [{"home": name, "used": size}
                                       for name, size in sorted(sizes.items(), key=lambda i: -i[1])[:BIGGEST]]
        shared = same_filesystem(homes, state_dir)
        report["hub_state_shares_homes_disk"] = shared
        homes_on = homes_support is not None and homes_support.state == ON
        if shared and home_space.reserved == 0 and not homes_on:
            problems.append(f"disk: the hub's database ({state_dir}) is on the students' filesystem, which keeps "
                            "no space for root (XFS keeps none), so a student who fills it stops the hub; set "
                            "limits.disk, or keep room for root on ext4 (tune2fs -m 5 DEVICE) (docs/disk.md)")
    report["problems"] = problems
    return report


def setting_warning(supports: list[Support]) -> str | None:
    """One line for `tljh-config set limits.disk`, when this machine cannot enforce it as it is:
    the filesystem of the homes first, the others counted."""
    waiting = [s for s in supports if s.state not in (ON, CAN) or (s.state == CAN and s.kind == "xfs")]
    if not waiting:
        return None
    first = next((s for s in waiting if s.filesystem.holds_homes), waiting[0])
    more = len(waiting) - 1
    return f"disk quotas: {first.line()}" + (f" (and {more} more: sudo tljh-lite status)" if more else "")


def biggest_homes_words(report: Mapping[str, Any]) -> str:
    """'jupyter-alice 180.0 MiB, jupyter-bob 2.0 MiB'."""
    return ", ".join(f"{h['home']} {show_bytes(h['used'])}" for h in report.get("biggest_homes") or [])


def disk_cells(usage: Mapping[str, Usage], names: Mapping[str, str]) -> dict[str, str]:
    """users list's DISK column: hub name -> '12.0 MiB of 50.0 MiB' (or '... (no limit)')."""
    cells = {}
    for account, use in usage.items():
        if account in names and account.startswith(PREFIX):
            limit = f"of {show_bytes(use.limit)}" if use.limit is not None else "(no limit)"
            cells[names[account]] = f"{show_bytes(use.used)} {limit}" + (" FULL" if use.over else "")
    return cells


def homes_usage(runner: Runner, places: machine.Places = machine.Places()) -> dict[str, Usage] | None:
    """Every account's use on the filesystem of the homes; None when quotas are not on there."""
    support = next((s for s in machine.supports(runner, places) if s.filesystem.holds_homes), None)
    if support is None or support.state != ON:
        return None
    return read_usage(runner, support.filesystem.point)


def _described(support: Support) -> dict[str, Any]:
    fs = support.filesystem
    return {"point": fs.point, "fstype": fs.mount.fstype, "paths": list(fs.paths), "state": support.state,
            "why": support.why, "hint": support.hint, "line": support.line()}

