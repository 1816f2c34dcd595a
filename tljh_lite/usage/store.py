"""The usage record in SQLite (/opt/tljh/state/usage.sqlite, root only): bounded by retention.

Four tables, each kept for as long as it is useful and no longer:
- server_minute: one row per running server per minute (memory, CPU, active),
  kept MINUTE_DAYS days, for the live page;
- class_minute: one row per minute for the class (servers running, students
  active, memory, CPU), kept CLASS_MINUTE_DAYS days, for peaks;
- server_hour and class_hour: the same folded into hours as they are
  recorded (an upsert per sample), kept HOUR_DAYS days, for reports over
  months.
Worst case, 100 servers running all year long: tests/test_usage_store.py
fills every table to its bound and checks the file stays under 50 MB.

Standard library only: the sampler imports it every minute.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

MINUTE_DAYS = 2
CLASS_MINUTE_DAYS = 35
HOUR_DAYS = 400
DAY = 86400
MIB = 1024 * 1024

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS server_minute (
    t INTEGER NOT NULL, uid INTEGER NOT NULL, mem_kib INTEGER NOT NULL, cpu_ms INTEGER, active INTEGER NOT NULL,
    PRIMARY KEY (t, uid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS server_hour (
    hour INTEGER NOT NULL, uid INTEGER NOT NULL, minutes INTEGER NOT NULL, active_minutes INTEGER NOT NULL,
    mem_active_mib INTEGER, mem_idle_mib INTEGER, mem_max_mib INTEGER NOT NULL, cpu_ms INTEGER,
    PRIMARY KEY (hour, uid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS class_minute (
    t INTEGER PRIMARY KEY, running INTEGER NOT NULL, active INTEGER NOT NULL, mem_mib INTEGER NOT NULL,
    cpu_ms INTEGER, machine_mem_used_mib INTEGER);
CREATE TABLE IF NOT EXISTS class_hour (
    hour INTEGER PRIMARY KEY, peak_running INTEGER NOT NULL, peak_active INTEGER NOT NULL,
    peak_mem_mib INTEGER NOT NULL, cpu_ms INTEGER);
CREATE TABLE IF NOT EXISTS cpu_seen (
    unit TEXT PRIMARY KEY, invocation TEXT NOT NULL, cpu_ns INTEGER NOT NULL);
"""


def record_file(paths) -> Path:
    """Where the record lives: the root-only state directory (`paths`: a tljh_lite.paths.Paths)."""
    return paths.state_dir / "usage.sqlite"


@dataclass(frozen=True)
class ServerSample:
    user: str
    mem_bytes: int
    cpu_ms: int | None  # CPU used since the last sample; None where the machine does not account it
    active: bool


@dataclass(frozen=True)
class ClassSample:
    t: int  # unix time, whole minute
    servers: tuple[ServerSample, ...]
    machine_mem_used_bytes: int | None = None


def open_store(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """The record; created root-only (0600) if missing, unless `readonly`."""
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        db.execute("PRAGMA query_only = 1")
        return db
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    db = sqlite3.connect(path, timeout=10)
    db.executescript(SCHEMA)
    return db


def _uid(db: sqlite3.Connection, name: str) -> int:
    db.execute("INSERT OR IGNORE INTO users (name) VALUES (?)", (name,))
    return db.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()[0]


def record(db: sqlite3.Connection, sample: ClassSample) -> None:
    """Add one minute's sample, fold it into its hour, and drop what is past retention."""
    t = sample.t - sample.t % 60
    hour = t - t % 3600
    with db:
        for s in sample.servers:
            uid = _uid(db, s.user)
            mib = round(s.mem_bytes / MIB)
            db.execute("INSERT OR REPLACE INTO server_minute VALUES (?, ?, ?, ?, ?)",
                       (t, uid, s.mem_bytes // 1024, s.cpu_ms, int(s.active)))
            db.execute(
                """INSERT INTO server_hour VALUES (?, ?, 1, ?, ?, ?, ?, ?)
                   ON CONFLICT (hour, uid) DO UPDATE SET
                     minutes = minutes + 1,
                     active_minutes = active_minutes + excluded.active_minutes,
                     mem_active_mib = max(coalesce(mem_active_mib, excluded.mem_active_mib),
                                          coalesce(excluded.mem_active_mib, mem_active_mib)),
                     mem_idle_mib = max(coalesce(mem_idle_mib, excluded.mem_idle_mib), coalesce(excluded.mem_idle_mib, mem_idle_mib)),
                     mem_max_mib = max(mem_max_mib, excluded.mem_max_mib),
                     cpu_ms = CASE WHEN excluded.cpu_ms IS NULL THEN cpu_ms ELSE coalesce(cpu_ms, 0) + excluded.cpu_ms END""",
                (hour, uid, int(s.active), mib if s.active else None, None if s.active else mib, mib, s.cpu_ms),
            )
        running = len(sample.servers)
        active = sum(s.active for s in sample.servers)
        mem = round(sum(s.mem_bytes for s in sample.servers) / MIB)
        cpus = [s.cpu_ms for s in sample.servers if s.cpu_ms is not None]
        cpu = sum(cpus) if cpus else None
        used = None if sample.machine_mem_used_bytes is None else round(sample.machine_mem_used_bytes / MIB)
        db.execute("INSERT OR REPLACE INTO class_minute VALUES (?, ?, ?, ?, ?, ?)", (t, running, active, mem, cpu, used))
        db.execute(
            """INSERT INTO class_hour VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (hour) DO UPDATE SET
                 peak_running = max(peak_running, excluded.peak_running),
                 peak_active = max(peak_active, excluded.peak_active),
                 peak_mem_mib = max(peak_mem_mib, excluded.peak_mem_mib),
                 cpu_ms = CASE WHEN excluded.cpu_ms IS NULL THEN cpu_ms ELSE coalesce(cpu_ms, 0) + excluded.cpu_ms END""",
            (hour, running, active, mem, cpu),
        )
        prune(db, t)


def prune(db: sqlite3.Connection, now: int) -> None:
    """Drop rows past their table's retention (an index range delete: cheap every minute)."""
    db.execute("DELETE FROM server_minute WHERE t < ?", (now - MINUTE_DAYS * DAY,))
    db.execute("DELETE FROM class_minute WHERE t < ?", (now - CLASS_MINUTE_DAYS * DAY,))
    db.execute("DELETE FROM server_hour WHERE hour < ?", (now - HOUR_DAYS * DAY,))
    db.execute("DELETE FROM class_hour WHERE hour < ?", (now - HOUR_DAYS * DAY,))


def cpu_since_last(db: sqlite3.Connection, unit: str, invocation: str, cpu_ns: int) -> int:
    """CPU (ms) a unit used since the last sample, from its running total; a new
    invocation (the server restarted) counts from zero."""
    row = db.execute("SELECT invocation, cpu_ns FROM cpu_seen WHERE unit = ?", (unit,)).fetchone()
    with db:
        db.execute("INSERT OR REPLACE INTO cpu_seen VALUES (?, ?, ?)", (unit, invocation, cpu_ns))
    if row is None:
        return 0  # first sight: its history is unknown, count from now
    if row[0] != invocation:
        return cpu_ns // 1_000_000
    return max(0, cpu_ns - row[1]) // 1_000_000


def forget_units(db: sqlite3.Connection, running: Iterable[str]) -> None:
    """Drop CPU totals of units that no longer run."""
    running = list(running)
    with db:
        db.execute(f"DELETE FROM cpu_seen WHERE unit NOT IN ({','.join('?' * len(running))})", running)
