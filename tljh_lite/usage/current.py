"""The students' servers right now: memory, CPU over the last recorded minute, uptime and idle time.

What `tljh-lite status` and the admins' usage page both show.
"""

from __future__ import annotations

import time
from typing import Any

from ..paths import Paths
from ..runner import Runner
from . import probe
from .store import open_store, record_file


def servers(runner: Runner, paths: Paths, now: float) -> list[dict[str, Any]]:
    seen = probe.last_activity(paths.hub_db)
    cpu = quiet(lambda: last_cpu(paths), {})
    out = []
    for s in probe.running_servers(runner):
        last = seen.get(s.user)
        out.append({
            "user": s.user, "unit": s.unit, "memory": s.memory, "memory_peak": s.memory_peak,
            "cpu_seconds": None if s.cpu_ns is None else s.cpu_ns / 1e9, "cpu_cores_last_minute": cpu.get(s.user),
            "uptime": None if s.started is None else now - s.started,
            "idle": None if last is None else max(0.0, now - last),
        })
    return out


def quiet(gather, default):
    try:
        return gather()
    except Exception:  # the record being written at that moment: show without it
        return default


def last_cpu(paths: Paths, window: int = 150) -> dict[str, float]:
    """Each server's CPU over the last recorded minute (cores), from the usage record."""
    if not record_file(paths).exists():
        return {}
    db = open_store(record_file(paths), readonly=True)
    try:
        rows = db.execute(
            "SELECT users.name, cpu_ms FROM server_minute JOIN users ON users.id = uid "
            "WHERE t = (SELECT max(t) FROM server_minute) AND t >= ? AND cpu_ms IS NOT NULL",
            (int(time.time()) - window,)).fetchall()
        return {name: cpu / 60_000 for name, cpu in rows}
    finally:
        db.close()


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600}h"
