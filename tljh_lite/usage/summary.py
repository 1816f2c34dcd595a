"""What the record says about a period: peaks, memory per student, CPU (for `report` and the page)."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

from .sizing import percentile


@dataclass(frozen=True)
class Summary:
    since: int
    first: int | None  # the first and last minute recorded in the period
    last: int | None
    minutes: int  # minutes sampled (hours' minutes, so older than the minute tables too)
    students_seen: int
    peak_running: int
    peak_active: int
    peak_active_at: int | None
    active_share: float  # students active / servers running, at the busiest hours
    active_mib: tuple[float | None, float | None]  # p50, p95 per active student
    idle_mib: tuple[float | None, float | None]
    max_server_mib: float | None
    active_cpu: tuple[float | None, float | None]  # cores per active student, p50, p95 (None: not accounted)
    class_cpu_peak: float | None  # cores, the busiest minute

    @property
    def empty(self) -> bool:
        return self.minutes == 0

    def as_dict(self) -> dict:
        return asdict(self)


def summarize(db: sqlite3.Connection, since: int) -> Summary:
    hours = db.execute(
        "SELECT uid, minutes, active_minutes, mem_active_mib, mem_idle_mib, mem_max_mib, cpu_ms FROM server_hour "
        "WHERE hour >= ?", (since - since % 3600,)).fetchall()
    classes = db.execute(
        "SELECT hour, peak_running, peak_active FROM class_hour WHERE hour >= ? ORDER BY hour",
        (since - since % 3600,)).fetchall()
    span = db.execute("SELECT min(t), max(t), count(*) FROM class_minute WHERE t >= ?", (since,)).fetchone()
    peak = max(classes, key=lambda row: (row[2], row[1]), default=None)
    busiest = [row for row in classes if row[1] and row[1] >= max(1, (peak[1] if peak else 0) // 2)]
    share = (sum(r[2] for r in busiest) / sum(r[1] for r in busiest)) if busiest else 1.0
    active_cpu = [h[6] / (h[2] * 60_000) for h in hours if h[6] is not None and h[2]]
    cpu_peak = db.execute("SELECT max(cpu_ms) FROM class_minute WHERE t >= ?", (since,)).fetchone()[0]
    active = [h[3] for h in hours if h[3] is not None]
    idle = [h[4] for h in hours if h[4] is not None]
    return Summary(
        since=since,
        first=span[0],
        last=span[1],
        minutes=span[2] or sum(h[1] for h in hours),
        students_seen=len({h[0] for h in hours}),
        peak_running=max((r[1] for r in classes), default=0),
        peak_active=peak[2] if peak else 0,
        peak_active_at=peak[0] if peak else None,
        active_share=share,
        active_mib=(percentile(active, 50), percentile(active, 95)),
        idle_mib=(percentile(idle, 50), percentile(idle, 95)),
        max_server_mib=max((h[5] for h in hours), default=None),
        active_cpu=(percentile(active_cpu, 50), percentile(active_cpu, 95)) if active_cpu else (None, None),
        class_cpu_peak=None if cpu_peak is None else cpu_peak / 60_000,
    )


def recent(db: sqlite3.Connection, since: int) -> list[tuple[int, int, int, int, int | None]]:
    """(minute, servers running, students active, memory MiB, CPU ms) for the live page's plots."""
    return db.execute(
        "SELECT t, running, active, mem_mib, cpu_ms FROM class_minute WHERE t >= ? ORDER BY t", (since,)).fetchall()


def series(db: sqlite3.Connection, since: int, now: int) -> list[tuple[int, int, int, int, int | None]]:
    """What the plots draw: minutes for up to two days of records, then hours (peaks; CPU per minute on average)."""
    first = db.execute("SELECT min(hour) FROM class_hour WHERE hour >= ?", (since - since % 3600,)).fetchone()[0]
    if now - max(since, first or now) <= 2 * 86400:
        return recent(db, since)
    return [(h, r, a, m, None if c is None else c // 60) for h, r, a, m, c in db.execute(
        "SELECT hour, peak_running, peak_active, peak_mem_mib, cpu_ms FROM class_hour WHERE hour >= ? ORDER BY hour",
        (since - since % 3600,))]
