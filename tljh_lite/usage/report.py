"""The report a professor reads: what the class used, the VM to rent, the cost per student.

Shared by `tljh-lite report` (text, --json, --html) and the admin page.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from ..errors import TljhError
from .sizing import BASE_MIB, HEADROOM, LESSON_MIB, PANDAS_STUDENTS_PER_CORE, Plan, cost_per_student, plan, students_for, students_per_gib
from .store import open_store, record_file
from .summary import Summary, summarize

# bench/class_capacity.py's result (docs/performance.md): working students on a
# 4 GB, 2-core VM, tljh-lite and the raw stack measured in the same run
# (Debian 12, 2026-11-28; a pandas + matplotlib lesson).
BENCH_STUDENTS_4GB_2CPU: dict[str, int] | None = {"tljh-lite": 12, "raw": 6}

NO_DATA = ("No data yet: the usage record has no samples for this period. tljh-usage.timer records "
           "every minute once students' servers run; see: systemctl status tljh-usage.timer")


def rule_of_thumb() -> dict[str, Any]:
    """The sizing rule without a record of the class (sizing.py): students per GiB, and on a 4 GiB VM."""
    return {lesson: {"per_gib": students_per_gib(mib), "on_4gib": students_for(4, mib)} for lesson, mib in LESSON_MIB.items()}


def rule_line() -> str:
    rule = rule_of_thumb()
    return (f"Rule of thumb:          {BASE_MIB / 1024:.1f} GiB for the hub, then 1 GiB per "
            f"{rule['light']['per_gib']:.0f} working students in a light lesson, per {rule['pandas']['per_gib']:.0f} "
            f"in a pandas lesson (a 4 GiB VM: {rule['light']['on_4gib']} or {rule['pandas']['on_4gib']}), "
            f"and a core per {PANDAS_STUDENTS_PER_CORE} in a pandas lesson; docs/performance.md")


def parse_since(text: str) -> int:
    """'30d', '12h', '90m' or '2w' -> seconds."""
    units = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) < 1:
        raise TljhError(f"--since {text!r} is not a period", "give a number and a unit: 90m, 12h, 30d or 2w")
    return int(number) * units[unit]


@dataclass(frozen=True)
class Report:
    summary: Summary
    students: int
    plan: Plan | None
    vm_monthly: float | None
    cost_per_student: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.as_dict(), "students": self.students,
                "plan": asdict(self.plan) if self.plan else None, "vm_monthly": self.vm_monthly,
                "cost_per_student_month": self.cost_per_student, "bench_students_4gb_2cpu": BENCH_STUDENTS_4GB_2CPU,
                "rule_of_thumb": rule_of_thumb()}


def build(summary: Summary, config: Mapping[str, Any], students: int | None = None) -> Report:
    class_size = students or max(len(config["users"]["allowed"]), summary.peak_running, 1)
    the_plan = None
    if summary.active_mib[1] is not None or summary.idle_mib[1] is not None:
        active95 = summary.active_mib[1] if summary.active_mib[1] is not None else summary.idle_mib[1]
        idle95 = summary.idle_mib[1] if summary.idle_mib[1] is not None else active95
        the_plan = plan(class_size, summary.active_share, active95, idle95, summary.max_server_mib or active95,
                        summary.active_cpu[1])
    price = config["cost"]["vm_monthly"]
    return Report(summary, class_size, the_plan, price, cost_per_student(price, class_size))


def load(paths, config: Mapping[str, Any], since_seconds: int, students: int | None = None,
         now: float | None = None) -> Report | None:
    """The report from the record; None when there is no record at all."""
    path = record_file(paths)
    if not path.exists():
        return None
    db = open_store(path, readonly=True)
    try:
        summary = summarize(db, int((now or time.time()) - since_seconds))
    finally:
        db.close()
    return build(summary, config, students)


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MiB"


def _stamp(t: int | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def text(report: Report | None, since: str) -> str:
    if report is None or report.summary.empty:
        return NO_DATA + "\n" + rule_line()
    s, p = report.summary, report.plan
    lines = [
        f"Usage over the last {since}: {_stamp(s.first)} to {_stamp(s.last)}, {s.minutes} minutes recorded",
        f"Students seen:          {s.students_seen}",
        f"Peak at once:           {s.peak_active} active, {s.peak_running} servers running"
        + (f" (hour of {_stamp(s.peak_active_at)})" if s.peak_active_at else ""),
    ]
    if s.students_seen == 0:
        lines.append("No student has run a server in this period yet: nothing to size from.")
    else:
        lines += [
            f"Memory, active student: p50 {_mib(s.active_mib[0])}, p95 {_mib(s.active_mib[1])}",
            f"Memory, idle student:   p50 {_mib(s.idle_mib[0])}, p95 {_mib(s.idle_mib[1])}",
            f"Most by one server:     {_mib(s.max_server_mib)}",
            "CPU, active student:    " + ("not accounted on this machine" if s.active_cpu[1] is None else
                                          f"p50 {s.active_cpu[0]:.2f}, p95 {s.active_cpu[1]:.2f} cores")
            + ("" if s.class_cpu_peak is None else f"; the whole class at most {s.class_cpu_peak:.2f} cores"),
        ]
    if p:
        unit = "core" if p.vm_cores == 1 else "cores"
        cores = "CPU not measured" if p.cores is None else f"{p.vm_cores} {unit} (needs {p.cores:.1f})"
        vm = f"{p.vm_memory_gib:g} GiB" if p.vm_memory_gib else "more than one machine holds"
        lines += [
            f"For {p.students} students at once, {s.active_share:.0%} of them active "
            f"(change N with --students; {HEADROOM:.0%} headroom):",
            f"  VM to rent:           {vm} memory (needs {p.memory_mib / 1024:.1f} GiB), {cores}",
            f"  limits.memory:        {p.limit_memory}  (sudo tljh-config set limits.memory {p.limit_memory}, then reload)",
        ]
    if report.cost_per_student is None:
        lines.append("Cost per student:       set the VM's monthly price: sudo tljh-config set cost.vm_monthly 40")
    else:
        lines.append(f"Cost per student-month: {report.cost_per_student:.2f} "
                     f"(cost.vm_monthly {report.vm_monthly:g} / {report.students} students)")
    lines.append(rule_line())
    if BENCH_STUDENTS_4GB_2CPU:
        lines.append(f"Benchmark:              {BENCH_STUDENTS_4GB_2CPU['tljh-lite']} working students fit a 4 GB, "
                     f"2-core VM (raw stack: {BENCH_STUDENTS_4GB_2CPU['raw']}); docs/performance.md")
    return "\n".join(lines)
