"""The report's arithmetic: percentiles, the VM to rent, limits.memory, cost per student, and its text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tljh_lite.config.defaults import merged
from tljh_lite.errors import TljhError
from tljh_lite.paths import Paths
from tljh_lite.usage import report, sizing
from tljh_lite.usage.store import ClassSample, ServerSample, open_store, record, record_file

MIB = 1024 * 1024


def test_percentiles_interpolate_between_ranks():
    assert sizing.percentile([], 50) is None
    assert sizing.percentile([7], 95) == 7
    assert sizing.percentile([1, 2, 3, 4], 50) == 2.5
    assert sizing.percentile(list(range(101)), 95) == 95


@pytest.mark.parametrize("used, limit", [(100, "512M"), (409, "512M"), (500, "768M"), (800, "1G"), (1700, "2304M")])
def test_the_memory_limit_is_the_most_one_server_used_plus_a_quarter_in_256m_steps(used, limit):
    assert sizing.memory_limit(used) == limit


def test_a_class_of_50_with_half_active_needs_a_16g_4_core_vm():
    p = sizing.plan(50, 0.5, active_p95_mib=300, idle_p95_mib=120, max_server_mib=600, active_cpu_p95=0.1)
    # (512 + 50 * (0.5 * 300 + 0.5 * 120)) * 1.25 = 13,765 MiB -> 16 GiB; 50 * 0.5 * 0.1 * 1.25 = 3.1 cores -> 4
    assert p.memory_mib == pytest.approx(13_765)
    assert (p.vm_memory_gib, p.vm_cores, p.limit_memory) == (16, 4, "768M")
    assert p.cores == pytest.approx(3.125)


def test_cpu_not_accounted_gives_no_core_count_and_a_huge_class_no_single_vm():
    p = sizing.plan(20, 1.0, 200, 100, 250, None)
    assert p.cores is None and p.vm_cores is None and p.vm_memory_gib == 8  # (512 + 4000) * 1.25 = 5,640 MiB
    assert sizing.plan(5000, 1, 2000, 2000, 2000, 0.5).vm_memory_gib is None


def test_cost_per_student_month():
    assert sizing.cost_per_student(40, 32) == 1.25
    assert sizing.cost_per_student(None, 32) is None


@pytest.mark.parametrize("text, seconds", [("30d", 30 * 86400), ("12h", 43200), ("90m", 5400), ("2w", 14 * 86400)])
def test_periods(text, seconds):
    assert report.parse_since(text) == seconds


@pytest.mark.parametrize("bad", ["30", "d", "0d", "-3d", "3y", "1.5d"])
def test_a_bad_period_is_refused_in_one_line(bad):
    with pytest.raises(TljhError, match="is not a period"):
        report.parse_since(bad)


def test_no_record_or_an_empty_period_says_no_data_yet(tmp_path):
    paths = Paths(tmp_path)
    assert report.load(paths, merged({}), 86400) is None
    assert report.text(None, "30d").startswith("No data yet")
    open_store(record_file(paths)).close()
    assert report.text(report.load(paths, merged({}), 86400), "1d").startswith("No data yet")


def test_the_report_on_recorded_minutes(tmp_path):
    paths = Paths(tmp_path)
    db = open_store(record_file(paths))
    now = 1_800_000_000
    for minute in range(30):
        record(db, ClassSample(now - 1800 + 60 * minute, (
            ServerSample("ada", 300 * MIB, 6000, True), ServerSample("ben", 100 * MIB, 100, False))))
    db.close()
    config = merged({"users": {"allowed": ["ada", "ben", "cy", "dee"]}, "cost": {"vm_monthly": 40}})
    result = report.load(paths, config, 86400, now=now)
    s = result.summary
    assert (s.peak_running, s.peak_active, s.students_seen) == (2, 1, 2)
    assert s.active_mib == (300, 300) and s.idle_mib == (100, 100) and s.active_share == 0.5
    assert s.active_cpu[1] == pytest.approx(0.1)  # 6 s a minute
    assert result.students == 4 and result.cost_per_student == 10
    text = report.text(result, "1d")
    assert "Peak at once:           1 active, 2 servers running" in text
    assert "limits.memory:        512M" in text
    assert "Cost per student-month: 10.00 (cost.vm_monthly 40 / 4 students)" in text
    # The students-per-VM figure of docs/performance.md (bench/class_capacity.py), as recorded there.
    assert ("Benchmark:              12 working students fit a 4 GB, 2-core VM (raw stack: 6)" in text
            and "**12 working students fit a 4 GB, 2-core VM with tljh-lite, 6 with the raw" in
            (Path(__file__).parent.parent / "docs" / "performance.md").read_text())
    assert report.build(s, config, students=40).plan.students == 40


def test_without_a_price_the_report_says_how_to_set_it(tmp_path):
    paths = Paths(tmp_path)
    db = open_store(record_file(paths))
    record(db, ClassSample(1_800_000_000, (ServerSample("ada", MIB, None, True),)))
    db.close()
    text = report.text(report.load(paths, merged({}), 86400, now=1_800_000_000), "1d")
    assert "sudo tljh-config set cost.vm_monthly" in text and "CPU not measured" in text


def test_long_series_are_thinned_to_their_peaks_for_the_plots():
    from tljh_lite.usage.page import thin

    rows = [(60 * i, i % 7, 1, 100 + i, None) for i in range(1000)]
    thinned = thin(rows, 100)
    assert len(thinned) == 100 and thinned[0] == (0, 6, 1, 109, None)
    assert max(r[3] for r in thinned) == 1099 and thin(rows[:5], 100) == rows[:5]


@pytest.mark.parametrize("bad", ["$40", "-5", "forty"])
def test_tljh_config_refuses_a_bad_price_in_one_line(tmp_path, capsys, bad):
    from tljh_lite.cli import tljh_config

    config = tmp_path / "config.yaml"
    config.write_text("")
    assert tljh_config.main(["--config-path", str(config), "set", "cost.vm_monthly", bad]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tljh-config: error: cost.vm_monthly must be the VM's monthly price") and config.read_text() == ""
    assert tljh_config.main(["--config-path", str(config), "set", "cost.vm_monthly", "37.5"]) == 0


def test_the_plots_draw_minutes_while_the_record_is_young_and_hours_after(tmp_path):
    from tljh_lite.usage.summary import series

    db = open_store(tmp_path / "u.sqlite")
    now = 1_800_000_000
    for minute in range(3):
        record(db, ClassSample(now - 180 + 60 * minute, (ServerSample("ada", 100 * MIB, 60, True),)))
    assert len(series(db, now - 30 * 86400, now)) == 3  # a young record: its minutes
    record(db, ClassSample(now - 10 * 86400, (ServerSample("ada", 100 * MIB, 60, True),)))
    assert len(series(db, now - 30 * 86400, now)) == 2  # ten days of it: hours


def test_the_rule_of_thumb_is_the_plan_turned_around():
    for mib in sizing.LESSON_MIB.values():
        n = sizing.students_for(4, mib)
        assert sizing.plan(n, 1.0, mib, mib, mib, None).memory_mib <= 4 * 1024  # the rule's class fits the VM
        assert sizing.plan(n + 1, 1.0, mib, mib, mib, None).memory_mib > 4 * 1024  # and one more would not
    assert round(sizing.students_per_gib(sizing.LESSON_MIB["light"])) == 8
    assert round(sizing.students_per_gib(sizing.LESSON_MIB["pandas"])) == 4


def test_the_report_gives_the_rule_with_or_without_a_record_and_docs_performance_states_the_same(tmp_path):
    rule = report.rule_line()
    assert report.text(None, "30d").endswith(rule)  # before the class: the rule is all there is
    assert "1 GiB per 8 working students in a light lesson, per 4 in a pandas lesson" in rule
    assert "and a core per 7 in a pandas lesson" in rule
    doc = (Path(__file__).parent.parent / "docs" / "performance.md").read_text()
    assert ("**0.5 GiB for the hub, then 1 GiB per 8 working students in a light lesson, per 4 in a pandas lesson, "
            "and a core per 7 in a pandas lesson**") in doc
