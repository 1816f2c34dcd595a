"""From what the class used to what to rent: pure arithmetic, unit-tested (tests/test_report_sizing.py).

The sizing rule (docs/performance.md, "Sizing"): the hub's share, then each
student at once, plus HEADROOM. For N students with servers running at once,
of whom a share `active` work (the rest idle until the culler stops them):

    memory = (BASE + N * (active * p95 active + (1 - active) * p95 idle)) * (1 + HEADROOM)
    cores  = N * active * p95 CPU of an active student * (1 + HEADROOM)

rounded up to the sizes clouds rent. With no record of the class yet, the
same rule with LESSON_MIB for everyone working: students per GiB
(`students_per_gib`). limits.memory is the most one server used, plus
LIMIT_MARGIN, rounded up to 256 MiB (never under 512 MiB): a cap that stops a
runaway notebook, not a working one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

# What runs besides the students' servers: the system, the hub (about 95 MiB) and the
# proxy (20 MiB) at rest, with room for the system's own (bench/class_capacity.py's
# "at rest", docs/performance.md); the usage page runs only while an admin looks at
# it, the idle culler only for its round every services.cull.every seconds.
BASE_MIB = 512
# One working student: her server (60 MiB) and her kernel, after a light lesson
# (plain Python, 36 MiB) and after a pandas lesson (pandas, matplotlib, a 10 MB
# CSV as a data frame: 137 MiB), rounded up (docs/performance.md, "Sizing").
LESSON_MIB = {"light": 100, "pandas": 200}
# Cores: a pandas lesson's working students each core answers within 2 s at the p95
# (bench/class_capacity.py on 4 GB and 2 cores: 15 passed, 18 did not; docs/performance.md).
# A light lesson's cells are too short to need a rule.
PANDAS_STUDENTS_PER_CORE = 7
# Above the p95 a class reaches: peaks, page cache, a student who opens a second notebook.
HEADROOM = 0.25
LIMIT_MARGIN = 0.25
MEMORY_SIZES_GIB = (1, 2, 4, 8, 16, 32, 64, 128, 256)
CORE_COUNTS = (1, 2, 4, 8, 16, 32, 64)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100), linear between the nearest ranks; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def round_up_to(sizes: Sequence[float], needed: float) -> float | None:
    """The smallest size that holds `needed`, or None if none does."""
    return next((size for size in sizes if size >= needed), None)


def memory_limit(max_server_mib: float) -> str:
    """limits.memory for servers that used at most `max_server_mib`, like '768M' or '1G'."""
    mib = max(512, math.ceil(max_server_mib * (1 + LIMIT_MARGIN) / 256) * 256)
    return f"{mib // 1024}G" if mib % 1024 == 0 else f"{mib}M"


@dataclass(frozen=True)
class Plan:
    students: int
    memory_mib: float  # needed, headroom included
    vm_memory_gib: float | None  # the size to rent (None: beyond one machine)
    cores: float | None  # needed, headroom included; None: CPU not measured
    vm_cores: int | None
    limit_memory: str


def plan(students: int, active_share: float, active_p95_mib: float, idle_p95_mib: float,
         max_server_mib: float, active_cpu_p95: float | None) -> Plan:
    """The VM for `students` servers running at once (`active_share` of them working)."""
    share = min(1.0, max(0.0, active_share))
    per_student = share * active_p95_mib + (1 - share) * idle_p95_mib
    memory = (BASE_MIB + students * per_student) * (1 + HEADROOM)
    cores = None if active_cpu_p95 is None else students * share * active_cpu_p95 * (1 + HEADROOM)
    return Plan(
        students=students,
        memory_mib=memory,
        vm_memory_gib=round_up_to(MEMORY_SIZES_GIB, memory / 1024),
        cores=cores,
        vm_cores=None if cores is None else round_up_to(CORE_COUNTS, max(cores, 1)),
        limit_memory=memory_limit(max_server_mib),
    )


def students_per_gib(per_student_mib: float) -> float:
    """How many working students each GiB above the hub's share holds, by the rule."""
    return 1024 / (per_student_mib * (1 + HEADROOM))


def students_for(vm_gib: float, per_student_mib: float) -> int:
    """The most students a VM of `vm_gib` holds by the rule (the inverse of `plan` with everyone working)."""
    return max(0, math.floor((vm_gib * 1024 / (1 + HEADROOM) - BASE_MIB) / per_student_mib))


def cost_per_student(vm_monthly: float | None, students: int) -> float | None:
    """What one student costs a month on a VM rented at `vm_monthly`."""
    if vm_monthly is None or students < 1:
        return None
    return vm_monthly / students
