"""Each account's limit, set with setquota for all accounts at once, and read back with repquota.

Quota tools count in 1 KiB blocks. Each account also gets a limit on its
number of files: one per KiB of its space, which no real work reaches first
(every file with data takes a 4 KiB block) but which stops a student from
filling the filesystem's table of files with empty ones.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Mapping

from ..runner import Runner
from ..sizes import size_bytes

KIB = 1024
# A write stops at the last whole block under the limit (measured: 51199 KiB used of 51200), so
# "at her limit" leaves this much room: no file of any use fits in it.
FULL_MARGIN = 64 * KIB


@dataclass(frozen=True)
class Usage:
    used: int  # bytes
    limit: int | None  # bytes; None: no limit
    files: int

    @property
    def over(self) -> bool:
        """At her limit: her next write fails with 'Disk quota exceeded'."""
        return self.limit is not None and self.used + FULL_MARGIN > self.limit


def blocks(limit: str | None) -> int:
    """setquota's hard limit in KiB for a size like 50M (0: none)."""
    return 0 if limit is None else math.ceil(size_bytes(limit) / KIB)


def setquota_input(limits: Mapping[str, str | None]) -> str:
    """setquota -b's lines: NAME block-soft block-hard inode-soft inode-hard (soft limits: none)."""
    return "".join(f"{account} 0 {blocks(limit)} 0 {blocks(limit)}\n" for account, limit in sorted(limits.items()))


def set_limits(runner: Runner, point: str, limits: Mapping[str, str | None]) -> None:
    """Every account's limit on the filesystem mounted at `point`, in one setquota."""
    if limits:
        runner.run(["setquota", "-u", "-b", point], input=setquota_input(limits))


def parse_repquota_csv(text: str) -> dict[str, Usage]:
    """repquota -O csv: a header, then a row per account (names, or #UID without one)."""
    rows = csv.DictReader(io.StringIO(text))
    usage = {}
    for row in rows:
        try:
            hard = int(row["BlockHardLimit"])
            usage[row["User"]] = Usage(int(row["BlockUsed"]) * KIB, hard * KIB if hard else None, int(row["FileUsed"]))
        except (KeyError, TypeError, ValueError):
            continue
    return usage


def read_usage(runner: Runner, point: str) -> dict[str, Usage]:
    """Every account's use and limit on the filesystem mounted at `point` ({} when it cannot be read)."""
    result = runner.run(["repquota", "-u", "-O", "csv", point], check=False, quiet=True)
    return parse_repquota_csv(result.stdout) if result.ok else {}
