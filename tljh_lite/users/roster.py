"""A class roster: a CSV file exported from a spreadsheet, one person per row.

The first row names the columns, in any order and any case:
- `username` (required): lowercased, as the hub does;
- `password`: empty, she sets it at her first login (an admin gets one generated);
  `*`, one is generated; anything else is her password;
- `groups`: group names separated by `;`, `,` or spaces;
- `admin`: yes or no; empty, she keeps the role she has (someone new is a student).

Spreadsheets export it as they like, so UTF-8 with or without a BOM, UTF-16
with a BOM, and comma, semicolon or tab between cells are all read. Row
numbers are the spreadsheet's (the header is row 1). Every problem is found
before anything is used: a roster with one bad row is refused whole.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config.formats import FORMATS
from ..errors import TljhError

COLUMNS = ("username", "password", "groups", "admin")
GENERATE = "*"
DELIMITERS = (",", ";", "\t")
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0"}
HINT = "fix the roster and import again; nothing was changed"


@dataclass(frozen=True)
class Person:
    row: int
    username: str
    password: str | None = field(default=None, repr=False)  # None: none given; GENERATE: make one
    groups: tuple[str, ...] | None = None  # None: the roster has no groups column
    admin: bool | None = None  # None: not said

    @property
    def generate(self) -> bool:
        return self.password == GENERATE


@dataclass(frozen=True)
class Roster:
    source: str
    people: tuple[Person, ...]


class RosterError(TljhError):
    """One or more rows are bad; `problems` has one line per problem, each naming its row."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        message = f"{source} {problems[0]}" if len(problems) == 1 else f"{source} has {len(problems)} problems (above)"
        super().__init__(message, HINT)


def read_roster(path: Path) -> Roster:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise TljhError(f"cannot read the roster {path}: {e.strerror}",
                        "check the file's name and that it exists") from e
    return parse_roster(data, Path(path).name)


def parse_roster(data: bytes, source: str = "roster") -> Roster:
    text = _decode(data, source)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    start = next((i for i, cells in enumerate(records) if any(c.strip() for c in cells)), None)
    if start is None:
        raise RosterError(source, ["is empty: its first row names the columns, like username,password,groups,admin"])
    problems: list[str] = []
    columns = _columns(records[start], start + 1, problems)
    if problems:  # the rows cannot be read without their columns
        raise RosterError(source, problems)
    people: list[Person] = []
    seen: dict[str, int] = {}
    for index, cells in enumerate(records[start + 1:], start=start + 2):
        person = _person(index, cells, columns, problems)
        if person is None:
            continue
        if person.username in seen:
            problems.append(f"row {index}: {person.username!r} is already on row {seen[person.username]}")
            continue
        seen[person.username] = index
        people.append(person)
    if problems:
        raise RosterError(source, problems)
    return Roster(source, tuple(people))


def _decode(data: bytes, source: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as e:
        row = body[: e.start].count(b"\n") + 1
        raise TljhError(
            f"{source} row {row}: not {encoding.upper()} text (byte {e.start + 1})",
            "save it from the spreadsheet as 'CSV UTF-8' and import that file; nothing was changed",
        ) from e


def _delimiter(text: str) -> str:
    """The separator the header row uses most (a comma when it has none)."""
    header = text.lstrip("\r\n").split("\n", 1)[0]
    return max(DELIMITERS, key=lambda d: (header.count(d), d == ","))


def _columns(cells: list[str], row: int, problems: list[str]) -> dict[int, str]:
    """Cell index -> column name; unnamed trailing columns are ignored if empty."""
    columns: dict[int, str] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        if not name:
            continue
        if name not in COLUMNS:
            match = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
            hint = f" (did you mean {match[0]}?)" if match else ""
            problems.append(f"row {row}: unknown column {cell.strip()!r}{hint}; the columns are {', '.join(COLUMNS)}")
        elif name in columns.values():
            problems.append(f"row {row}: the column {name!r} is named twice")
        else:
            columns[index] = name
    if "username" not in columns.values():
        problems.append(f"row {row}: no 'username' column; the first row names the columns, like "
                        "username,password,groups,admin")
    return columns


def _person(row: int, cells: list[str], columns: dict[int, str], problems: list[str]) -> Person | None:
    values = {name: "" for name in columns.values()}
    for index, cell in enumerate(cells):
        if index in columns:
            values[columns[index]] = cell.strip()
        elif cell.strip():
            problems.append(f"row {row}: a value in column {index + 1}, which the first row does not name")
            return None
    if not any(values.values()):
        return None  # an empty row: spreadsheets leave them
    before = len(problems)
    username = _username(row, values.get("username", ""), problems)
    groups = _groups(row, values["groups"], problems) if "groups" in values else None
    admin = _admin(row, values["admin"], problems) if "admin" in values else None
    if len(problems) > before:
        return None
    return Person(row, username, values.get("password") or None, groups, admin)


def _username(row: int, value: str, problems: list[str]) -> str:
    name = value.lower()
    valid, words = FORMATS["hub-username"]
    if not name:
        problems.append(f"row {row}: no username")
    elif not valid(name):
        problems.append(f"row {row}: {value!r} is not {words}")
    return name


def _groups(row: int, value: str, problems: list[str]) -> tuple[str, ...]:
    valid, words = FORMATS["hub-group"]
    names = tuple(dict.fromkeys(n for n in re.split(r"[;,\s]+", value) if n))
    for name in names:
        if not valid(name):
            problems.append(f"row {row}: the group {name!r} is not {words}")
    return names


def _admin(row: int, value: str, problems: list[str]) -> bool | None:
    word = value.lower()
    if word in YES:
        return True
    if word in NO:
        return False
    if word:
        problems.append(f"row {row}: admin is {value!r}; write yes or no (or leave it empty)")
    return None
