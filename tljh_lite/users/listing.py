"""`tljh-lite users list`: everyone config.yaml names, and everyone the hub has seen, with where they stand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .admission import dropped_users
from .groups import groups_of

HEADER = ("NAME", "ROLE", "GROUPS", "PASSWORD")
DISK_HEADER = "DISK"


@dataclass(frozen=True)
class Row:
    name: str
    role: str
    groups: str
    password: str
    disk: str | None = None  # her use against her quota; None: quotas are off

    def cells(self) -> tuple[str, ...]:
        cells = (self.name, self.role, self.groups, self.password)
        return cells if self.disk is None else (*cells, self.disk)


def user_rows(config: Mapping[str, Any], known: Iterable[str],
              with_password: Callable[[Iterable[str]], set[str]] | None,
              disk: Mapping[str, str] | None = None) -> list[Row]:
    """Admins first, then students, then those who may not log in.

    `with_password(names)` says which have a password (None: not ours to tell).
    `disk`: name -> her disk use against her quota, when quotas are on ('-': no account yet).
    """
    users = config["users"]
    banned = {n.lower() for n in users["banned"]}
    roles: dict[str, str] = {}
    for name in users["admin"]:
        roles.setdefault(name.lower(), "admin")
    for name in users["allowed"]:
        roles.setdefault(name.lower(), "student")
    for name in dropped_users(config, known):
        roles.setdefault(name.lower(), "dropped")
    for name in banned:
        roles[name] = "banned"
    order = {"admin": 0, "student": 1, "dropped": 2, "banned": 3}
    have = with_password(roles) if with_password else None
    return [
        Row(name, role, ", ".join(groups_of(config, name)), _password(name, role, have),
            None if disk is None else disk.get(name, "-"))
        for name, role in sorted(roles.items(), key=lambda item: (order[item[1]], item[0]))
    ]


def _password(name: str, role: str, with_password: set[str] | None) -> str:
    if with_password is None:
        return "-"
    if name in with_password:
        return "set"
    if role == "admin":  # whoever logs in first as her sets it, and admins have sudo
        return f"NONE: give one with sudo tljh-lite users reset-password {name} --generate"
    return "none yet: set at first login" if role == "student" else "none"


def table(rows: list[Row]) -> str:
    header = (*HEADER, DISK_HEADER) if rows and rows[0].disk is not None else HEADER
    cells = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells)


def totals(rows: list[Row]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.role] = counts.get(row.role, 0) + 1
    nouns = {"admin": "admins", "student": "students"}  # dropped, banned: as they are
    return ", ".join(f"{n} {nouns.get(role, role) if n != 1 else role}" for role, n in counts.items()) or "no users yet"
