"""What the students' servers use right now: systemd's units, their cgroups, the hub's record of activity.

Standard library only, and cheap (one `systemctl list-units`, one `systemctl
show` for every server at once, a few small files): the sampler runs it every
minute, `tljh-lite status` once.

Where systemd accounts CPU per unit, CPUUsageNSec says it; where it does not
(cgroup v1 hosts, some containers), the unit's cgroup v2 `cpu.stat` still
does. The peak memory is systemd's MemoryPeak (systemd 256+), or the
kernel's own high-water mark of the unit's cgroup.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..runner import Runner

SERVER_UNITS = "jupyter-*.service"
UNIT_PREFIX, UNIT_SUFFIX = "jupyter-", ".service"
CGROUP_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
MEMORY_V1_ROOT = Path("/sys/fs/cgroup/memory")
SERVER_PROPERTIES = ("Id", "User", "ActiveState", "InvocationID", "ControlGroup", "MemoryCurrent",
                     "MemoryPeak", "CPUUsageNSec", "ActiveEnterTimestamp")


@dataclass(frozen=True)
class Server:
    user: str  # the hub's user name
    unit: str
    invocation: str
    memory: int | None  # bytes now
    memory_peak: int | None  # bytes, since the server started
    cpu_ns: int | None  # CPU time used since the server started
    started: float | None  # unix time


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) < 2**63 else None


def show(runner: Runner, units: Iterable[str], properties: Iterable[str]) -> list[dict[str, str]]:
    """`systemctl show` for several units at once: one dict per unit."""
    units = list(units)
    if not units:
        return []
    result = runner.run(["systemctl", "show", "-p", ",".join(properties), "--", *units], check=False, quiet=True)
    blocks, current = [], {}
    for line in result.stdout.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, _, value = line.partition("=")
        current[key] = value
    if current:
        blocks.append(current)
    return blocks


def systemd_time(value: str) -> float | None:
    """Unix time from systemctl show's 'Sat 2026-11-28 05:27:20 UTC' (always UTC in the units we read)."""
    try:
        stamp = dt.datetime.strptime(" ".join(value.split()[1:3]), "%Y-%m-%d %H:%M:%S")
    except (ValueError, IndexError):
        return None
    zone = value.split()[-1] if len(value.split()) > 3 else "UTC"
    if zone == "UTC":
        return stamp.replace(tzinfo=dt.timezone.utc).timestamp()
    return stamp.timestamp()  # the machine's local zone, which systemctl used


def server_units(runner: Runner) -> list[str]:
    result = runner.run(["systemctl", "list-units", "--type=service", "--state=active", "--plain", "--no-legend",
                         SERVER_UNITS], check=False, quiet=True)
    return [line.split()[0] for line in result.stdout.splitlines() if line.split()]


def running_servers(runner: Runner, cgroup_roots: Iterable[Path] = CGROUP_ROOTS) -> list[Server]:
    servers = []
    for props in show(runner, server_units(runner), SERVER_PROPERTIES):
        unit = props.get("Id", "")
        if props.get("ActiveState") != "active" or not unit.startswith(UNIT_PREFIX):
            continue
        cgroup = props.get("ControlGroup", "")
        servers.append(Server(
            user=unit[len(UNIT_PREFIX):].removesuffix(UNIT_SUFFIX),
            unit=unit,
            invocation=props.get("InvocationID", ""),
            memory=_number(props.get("MemoryCurrent")),
            memory_peak=_number(props.get("MemoryPeak")) or memory_high_water(cgroup),
            cpu_ns=_number(props.get("CPUUsageNSec")) or cgroup_cpu_ns(cgroup, cgroup_roots),
            started=systemd_time(props.get("ActiveEnterTimestamp", "")),
        ))
    return sorted(servers, key=lambda s: s.user)


def cgroup_cpu_ns(cgroup: str, roots: Iterable[Path] = CGROUP_ROOTS) -> int | None:
    """The cgroup's CPU time from its cgroup v2 cpu.stat (kept by the kernel whatever systemd accounts)."""
    if not cgroup:
        return None
    for root in roots:
        try:
            text = (root / cgroup.lstrip("/") / "cpu.stat").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec" and value.strip().isdigit():
                return int(value) * 1000
    return None


def memory_high_water(cgroup: str, root: Path = MEMORY_V1_ROOT) -> int | None:
    """The most memory the cgroup has used (cgroup v1's max_usage_in_bytes, v2's memory.peak)."""
    if not cgroup:
        return None
    for path in (root / cgroup.lstrip("/") / "memory.max_usage_in_bytes", Path("/sys/fs/cgroup") / cgroup.lstrip("/") / "memory.peak"):
        try:
            return _number(path.read_text().strip())
        except OSError:
            continue
    return None


def last_activity(hub_db: Path) -> dict[str, float]:
    """Each user's server's last activity (unix time) as the hub records it: it asks the proxy
    every minute which routes saw traffic, and each server reports its kernels' activity.

    Read from the hub's database, read-only (the hub's REST API would need a token of its own).
    """
    if not hub_db.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True, timeout=5)
        try:
            # The server's activity only: the user's own also moves when she merely opens a hub page.
            rows = db.execute(
                "SELECT users.name, spawners.last_activity FROM users "
                "JOIN spawners ON spawners.user_id = users.id AND spawners.name = ''"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return {}
    seen = {}
    for name, *stamps in rows:
        times = [t for t in map(_db_time, stamps) if t is not None]
        if times:
            seen[name] = max(times)
    return seen


def _db_time(value) -> float | None:
    """The hub stores naive UTC datetimes as text."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.timezone.utc).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class Machine:
    memory_total: int
    memory_available: int
    memory_pressure: float | None  # % of the last minute some task waited for memory (PSI avg60)
    cpus: int
    load1: float
    disks: dict[str, tuple[int, int]]  # path -> (used, total) bytes

    @property
    def memory_used(self) -> int:
        return self.memory_total - self.memory_available


def machine(disk_paths: Iterable[Path], proc: Path = Path("/proc")) -> Machine:
    info = {}
    for line in (proc / "meminfo").read_text().splitlines():
        key, _, rest = line.partition(":")
        info[key] = int(rest.split()[0]) * 1024 if rest.split() else 0
    disks = {}
    for path in disk_paths:
        try:
            usage = shutil.disk_usage(path)
        except OSError:
            continue
        disks[str(path)] = (usage.used, usage.total)
    try:
        load1 = float((proc / "loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        load1 = 0.0
    return Machine(
        memory_total=info.get("MemTotal", 0),
        memory_available=info.get("MemAvailable", info.get("MemFree", 0)),
        memory_pressure=memory_pressure(proc),
        cpus=os.cpu_count() or 1,
        load1=load1,
        disks=disks,
    )


def memory_pressure(proc: Path = Path("/proc")) -> float | None:
    """PSI: the share of the last minute in which some task stalled waiting for memory."""
    try:
        for line in (proc / "pressure" / "memory").read_text().splitlines():
            if line.startswith("some "):
                fields = dict(item.split("=") for item in line.split()[1:])
                return float(fields["avg60"])
    except (OSError, ValueError, KeyError):
        return None
    return None
