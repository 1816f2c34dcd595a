"""The quota options in a filesystem's line of /etc/fstab, so they come back at every boot.

`with_options` is pure: it changes the options field of one line and nothing
else, byte for byte (comments, spacing, the other lines). `add_options`
writes the result atomically, keeping a copy of the file as it was.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..files import atomic_write


@dataclass(frozen=True)
class FstabLine:
    index: int  # line number, from 0
    point: str
    options: tuple[str, ...]


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _fields(line: str) -> list[re.Match]:
    if line.lstrip().startswith("#"):
        return []
    return list(re.finditer(r"\S+", line))


def fstab_line(text: str, point: str) -> FstabLine | None:
    """The line that mounts something on `point` (the last one, if several do)."""
    found = None
    for index, line in enumerate(text.splitlines()):
        fields = _fields(line)
        if len(fields) >= 2 and _unescape(fields[1].group()).rstrip("/") == point.rstrip("/"):
            options = tuple(fields[3].group().split(",")) if len(fields) >= 4 else ("defaults",)
            found = FstabLine(index, point, options)
    return found


def with_options(text: str, point: str, wanted: list[str]) -> str | None:
    """The fstab text with `wanted` options added to `point`'s line; None when no line mounts `point`.

    An option already there (by name: `jqfmt=vfsv0` counts as `jqfmt`) is left as it is.
    """
    line = fstab_line(text, point)
    if line is None:
        return None
    have = {option.split("=", 1)[0] for option in line.options}
    missing = [option for option in wanted if option.split("=", 1)[0] not in have]
    if not missing:
        return text
    lines = text.splitlines(keepends=True)
    original = lines[line.index]
    fields = _fields(original)
    if len(fields) >= 4:
        span = fields[3].span()
        new = original[: span[0]] + ",".join([*line.options, *missing]) + original[span[1]:]
    else:  # no options field: 'defaults' is what it meant
        end = fields[-1].span()[1]
        padding = "" if len(fields) == 3 else "\tauto"
        new = original[:end] + padding + "\t" + ",".join(["defaults", *missing]) + original[end:]
    lines[line.index] = new
    return "".join(lines)


def add_options(path: Path, point: str, wanted: list[str]) -> bool | None:
    """Add `wanted` to `point`'s line of the fstab at `path`: True if it changed, False if the
    options were there, None if no line mounts `point`. The old file is kept as PATH.tljh-lite.bak."""
    text = path.read_text()
    new = with_options(text, point, wanted)
    if new is None:
        return None
    if new == text:
        return False
    shutil.copy2(path, path.with_name(path.name + ".tljh-lite.bak"))
    atomic_write(path, new, path.stat().st_mode & 0o777)
    return True
