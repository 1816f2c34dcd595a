"""How the benchmarks print: a markdown table on stdout, optionally also to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return "-" if value != value else f"{value:.1f}"  # nan: nothing to show (nobody was ready)
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def emit(lines: list[str], markdown: Path | None) -> None:
    print("\n".join(lines))
    if markdown:
        markdown.write_text("\n".join(lines) + "\n")
