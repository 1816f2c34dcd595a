"""`tljh-lite status` as text: one screen, problems last, each with what to do."""

from __future__ import annotations

from typing import Any, Mapping

from ..sizes import show_bytes
from ..usage.current import duration

GIB = 1024 ** 3
MIB = 1024 ** 2


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value / MIB:.0f} MiB"


def text(status: Mapping[str, Any]) -> str:
    v = status["versions"]
    lines = [f"tljh-lite {v['tljh-lite']}, JupyterHub {v['jupyterhub'] or 'not installed'}", "", "Services:"]
    for s in status["services"]:
        uptime = f"up {duration(s['uptime'])}" if s["uptime"] is not None else ""
        lines.append(f"  {s['name']:34} {s['state']:14} {uptime}".rstrip())
    cert = status.get("certificate")
    if cert and cert.get("https"):
        days = "unreadable" if cert["days_left"] is None else f"{cert['expires'][:10]} ({cert['days_left']:.0f} days left)"
        lines.append(f"Certificate: expires {days}")
    elif cert is not None:
        lines.append("Certificate: HTTPS is off")
    servers = status["servers"]
    lines += ["", f"Students' servers running: {len(servers)}"]
    if servers:
        lines.append(f"  {'user':16} {'memory':>10} {'peak':>10} {'CPU now':>8} {'CPU total':>10} {'idle':>7} {'up':>7}")
        for s in servers:
            now_cpu = "-" if s["cpu_cores_last_minute"] is None else f"{s['cpu_cores_last_minute']:.2f}"
            total = "-" if s["cpu_seconds"] is None else f"{s['cpu_seconds']:.0f}s"
            lines.append(f"  {s['user'][:16]:16} {_mib(s['memory']):>10} {_mib(s['memory_peak']):>10} {now_cpu:>8} "
                         f"{total:>10} {duration(s['idle']):>7} {duration(s['uptime']):>7}")
    m = status.get("machine")
    if m:
        used = m["memory_total"] - m["memory_available"]
        pressure = "" if m["memory_pressure"] is None else f", waited for memory {m['memory_pressure']:.1f} % of the last minute"
        lines += ["", "Machine:",
                  f"  memory  {used / GIB:.1f} of {m['memory_total'] / GIB:.1f} GiB used, students' servers "
                  f"{status['servers_memory'] / GIB:.2f} GiB{pressure}",
                  f"  CPU     {m['cpus']} cores, load {m['load1']:.2f}"]
        for path, d in m["disks"].items():
            lines.append(f"  disk    {path}: {d['used'] / GIB:.1f} of {d['total'] / GIB:.1f} GiB "
                         f"({100 * d['used'] / max(d['total'], 1):.0f} %)")
    if status.get("zram"):
        lines.append(f"  {status['zram']['line']}")
    lines += disk_lines(status.get("disk"))
    b = status.get("backup")
    if b:
        lines.append(f"Last backup: {b['last'] or 'none yet'} (schedule: {b['schedule']})")
        lines += [f"  {note}" for note in b.get("notes", [])]
    sample = status.get("usage_last_sample")
    lines.append(f"Usage record: {'no samples yet' if sample is None else 'last sample ' + duration(status['time'] - sample) + ' ago'}"
                 " (sudo tljh-lite report)")
    problems = status["problems"]
    lines.append("")
    lines += [f"Needs you: {p}" for p in problems] or ["All well."]
    return "\n".join(lines)


def disk_lines(disk: Mapping[str, Any] | None) -> list[str]:
    """Where quotas stand on each filesystem students write to, who is at her limit, the biggest users."""
    if not disk:
        return []
    if not disk["limits_asked"] and not any(f["state"] == "on" for f in disk["filesystems"]):
        return ["Disk quotas: none (sudo tljh-config set limits.disk 2G, then reload; docs/disk.md)",
                *_hub_room(disk)]
    lines = ["Disk quotas:"]
    lines += [f"  {f['line']}" for f in disk["filesystems"]]
    students = disk["students"]
    if students:
        at_limit = [s for s in students if s["account"] in disk["at_limit"]]
        lines.append(f"  {len(students)} accounts, {len(at_limit)} at their limit"
                     + (": " + ", ".join(s["name"] for s in at_limit[:10]) if at_limit else ""))
        lines.append("  most used: " + ", ".join(
            f"{s['name']} {show_bytes(s['used'])}" + (f" of {show_bytes(s['limit'])}" if s["limit"] else "")
            for s in students[:5]))
    return lines + _hub_room(disk)


def _hub_room(disk: Mapping[str, Any]) -> list[str]:
    homes = disk.get("homes")
    if not homes:
        return []
    if not disk.get("hub_state_shares_homes_disk"):
        return [f"  the hub's database is on another filesystem than {homes['path']}"]
    reserved = homes["reserved_for_root"]
    share = f"{100 * reserved / max(homes['total'], 1):.0f} % ({show_bytes(reserved)})"
    return [f"  the hub's database shares {homes['path']}'s filesystem; root keeps {share} of it that students "
            "cannot fill"]
