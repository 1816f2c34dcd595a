"""The usage record: folding minutes into hours, retention, and its size bound (a year of 100 students)."""

from __future__ import annotations

import os
import stat

from tljh_lite.usage import store
from tljh_lite.usage.store import ClassSample, ServerSample, open_store, record

T0 = 1_800_000_000 - 1_800_000_000 % 3600  # the start of an hour
MIB = 1024 * 1024


def rows(db, table):
    return db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def test_the_record_is_root_only_and_made_on_first_use(tmp_path):
    path = tmp_path / "state" / "usage.sqlite"
    open_store(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_minutes_fold_into_their_hour_by_activity(tmp_path):
    db = open_store(tmp_path / "u.sqlite")
    record(db, ClassSample(T0 + 5, (ServerSample("ada", 100 * MIB, 500, False), ServerSample("ben", 80 * MIB, None, False))))
    record(db, ClassSample(T0 + 65, (ServerSample("ada", 300 * MIB, 20_000, True),)))
    record(db, ClassSample(T0 + 125, (ServerSample("ada", 200 * MIB, 100, True),)))
    hours = {uid: row for _, uid, *row in rows(db, "server_hour")}
    # minutes, active minutes, max active MiB, max idle MiB, max MiB, CPU ms
    assert hours[1] == [3, 2, 300, 100, 300, 20_600]
    assert hours[2] == [1, 0, None, 80, 80, None]  # never active; CPU not accounted stays unknown
    assert rows(db, "class_minute") == [(T0, 2, 0, 180, 500, None), (T0 + 60, 1, 1, 300, 20_000, None),
                                        (T0 + 120, 1, 1, 200, 100, None)]
    assert rows(db, "class_hour") == [(T0, 2, 1, 300, 20_600)]


def test_old_minutes_go_while_their_hours_stay(tmp_path):
    db = open_store(tmp_path / "u.sqlite")
    record(db, ClassSample(T0, (ServerSample("ada", MIB, 0, True),)))
    record(db, ClassSample(T0 + store.MINUTE_DAYS * store.DAY + 60, (ServerSample("ada", MIB, 0, True),)))
    assert [r[0] for r in rows(db, "server_minute")] == [T0 + store.MINUTE_DAYS * store.DAY + 60]
    assert len(rows(db, "server_hour")) == 2 and len(rows(db, "class_minute")) == 2
    record(db, ClassSample(T0 + store.HOUR_DAYS * store.DAY + 3600, ()))
    assert [r[0] for r in rows(db, "server_hour")] == [T0 + store.MINUTE_DAYS * store.DAY]  # the first hour went
    assert len(rows(db, "class_hour")) == 2


def test_cpu_is_counted_between_samples_and_from_zero_after_a_restart(tmp_path):
    db = open_store(tmp_path / "u.sqlite")
    assert store.cpu_since_last(db, "jupyter-ada.service", "inv1", 5_000_000_000) == 0  # history unknown
    assert store.cpu_since_last(db, "jupyter-ada.service", "inv1", 7_000_000_000) == 2000
    assert store.cpu_since_last(db, "jupyter-ada.service", "inv2", 1_000_000_000) == 1000
    store.forget_units(db, [])
    assert rows(db, "cpu_seen") == []


def test_a_year_of_100_students_all_running_all_the_time_stays_under_50_mb(tmp_path):
    """Worst case: every table full to its retention, 100 servers every minute of every day."""
    path = tmp_path / "u.sqlite"
    db = open_store(path)
    users = range(1, 101)
    now = T0 + store.HOUR_DAYS * store.DAY
    with db:
        db.executemany("INSERT INTO users (id, name) VALUES (?, ?)", [(u, f"student-{u:03d}") for u in users])
        minutes = range(now - store.MINUTE_DAYS * store.DAY - 3600, now + 60, 60)  # an hour past retention too
        db.executemany("INSERT INTO server_minute VALUES (?, ?, ?, ?, ?)",
                       ((t, u, 250_000 + u * 997 + t % 9973, 1234 + t % 777, t % 2) for t in minutes for u in users))
        hours = range(now - store.HOUR_DAYS * store.DAY - 7200, now + 3600, 3600)
        db.executemany("INSERT INTO server_hour VALUES (?, ?, 60, ?, ?, ?, ?, ?)",
                       ((h, u, h % 61, 300 + h % 211, 120 + u, 400 + h % 97, 70_000 + h % 50_000) for h in hours for u in users))
        db.executemany("INSERT INTO class_minute VALUES (?, 100, ?, ?, ?, ?)",
                       ((t, t % 100, 25_000 + t % 999, 6_000_000 + t % 99_999, 30_000 + t % 777)
                        for t in range(now - store.CLASS_MINUTE_DAYS * store.DAY - 3600, now + 60, 60)))
        db.executemany("INSERT INTO class_hour VALUES (?, 100, ?, ?, ?)", ((h, h % 100, 30_000, 360_000_000) for h in hours))
    record(db, ClassSample(now, tuple(ServerSample(f"student-{u:03d}", 300 * MIB, 900, True) for u in users)))
    db.execute("VACUUM")
    db.close()
    print(f"worst-case record: {path.stat().st_size / 2**20:.1f} MiB")
    assert path.stat().st_size < 50 * 1024 * 1024, f"{path.stat().st_size / 2**20:.1f} MiB"
    db = open_store(path)
    # Retention held: nothing older than each table's bound is left.
    assert db.execute("SELECT count(*) FROM server_minute").fetchone()[0] == (store.MINUTE_DAYS * 1440 + 1) * 100
    assert db.execute("SELECT min(hour) FROM server_hour").fetchone()[0] >= now - store.HOUR_DAYS * store.DAY
