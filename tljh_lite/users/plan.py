"""What importing a roster changes: pure, a config and a roster in, the changes out.

Import owns these keys, for the people in the roster (and, with prune, the
students not in it): `users.allowed`, `users.admin` and `groups.<name>.users`.
Everything else in config.yaml, comments included, stays as it is.

For each person in the roster:
- someone new is added to users.allowed (an admin: to users.admin);
- `admin` yes makes her an admin, no a student (an admin made a student moves
  to users.allowed), empty keeps her role;
- a `groups` column makes her groups exactly the ones listed (new groups are
  made); without the column her groups stay as they are;
- her password: the one given (set unless it is hers already, which the
  importer checks), or `*`, generated unless she has one; with neither, she
  sets it at her first login, except an admin, who gets a generated one if she
  has none: no one becomes root by being first to log in as a new admin. A
  new admin (one the running hub does not have as an admin) keeps the password
  she has only if tljh-lite set it (users.promotion): one set at a first login
  or a signup is replaced by a generated one, and the plan says so.
With prune, students in users.allowed who are not in the roster are removed
from it and from their groups (admins are never pruned). Removing from
users.allowed is what locks a student out (users/admission.py); her home
and files stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..config import tree
from .groups import groups_of
from .promotion import needs_password
from .roster import Person, Roster, RosterError

GIVEN, GENERATE = "given", "generate"


@dataclass
class PersonChange:
    name: str
    person: Person | None  # None: pruned
    new: bool = False
    role: str | None = None  # "admin" or "student", when it changes (or she is new)
    groups: tuple[list[str], list[str]] | None = None  # (before, after), when they change
    password: str | None = None  # GIVEN or GENERATE
    replaces: bool = False  # a new admin's password that tljh-lite did not set is replaced

    @property
    def removed(self) -> bool:
        return self.person is None

    @property
    def changed(self) -> bool:
        return self.removed or self.new or bool(self.role or self.groups or self.password)

    def line(self) -> str:
        if self.removed:
            return f"- {self.name}: removed from users.allowed{' and her groups' if self.groups else ''} (home kept)"
        details = []
        if self.role:
            details.append(self.role if self.new else f"now {'an admin' if self.role == 'admin' else 'a student'}")
        if self.groups:
            before, after = self.groups
            were = "" if self.new else f" (were: {', '.join(before) or 'none'})"
            details.append(f"groups: {', '.join(after) or 'none'}{were}")
        if self.password:
            details.append("password: generated" if self.password == GENERATE else "password: from the roster")
        if self.replaces:
            details.append("replacing the one she has, which tljh-lite did not set (a first login or a signup)")
        return f"{'+' if self.new else '~'} {self.name}: {', '.join(details)}"


@dataclass
class ImportPlan:
    changes: list[PersonChange]
    warnings: list[str] = field(default_factory=list)

    @property
    def passwords(self) -> dict[str, PersonChange]:
        return {c.name: c for c in self.changes if c.password}

    def drop_passwords(self, names: set[str]) -> None:
        """These given passwords are hers already: nothing to set."""
        for change in self.changes:
            if change.name in names and change.password == GIVEN:
                change.password = None

    def count(self, what: str) -> int:
        tests: dict[str, Callable[[PersonChange], bool]] = {
            "added": lambda c: c.new,
            "updated": lambda c: not c.new and not c.removed and c.changed,
            "unchanged": lambda c: not c.changed,
            "removed": lambda c: c.removed,
        }
        return sum(1 for change in self.changes if tests[what](change))

    def lines(self) -> list[str]:
        return [change.line() for change in self.changes if change.changed]

    def apply(self, config: Mapping) -> Any:
        """A new config with these changes, or `config` itself when it has them all already.

        The input is never mutated. It may be newer than the one planned for
        (someone ran tljh-config meanwhile): only these people's entries move.
        """
        lists: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}

        def move(path: tuple[str, ...], name: str, into: bool) -> None:
            lists.setdefault(path, ([], []))[0 if into else 1].append(name)

        for change in self.changes:
            if change.role == "admin":
                move(("users", "admin"), change.name, True)
            elif change.role == "student":
                move(("users", "allowed"), change.name, True)
                move(("users", "admin"), change.name, False)
            if change.removed:
                move(("users", "allowed"), change.name, False)
            if change.groups:
                before, after = change.groups
                for group in before:
                    if group not in after:
                        move(("groups", group, "users"), change.name, False)
                for group in after:
                    if group not in before:
                        move(("groups", group, "users"), change.name, True)
        new = config
        for path, (add, remove) in lists.items():
            current = tree.get_item(new, list(path))
            current = current if isinstance(current, list) else []
            present = {str(item).lower() for item in current}
            add = [name for name in add if name not in present]
            remove = [item for item in current if str(item).lower() in set(remove)]  # as the file writes them
            if add or remove:
                new = tree.update_list(new, list(path), add, remove)
        return new


def plan_import(config: Mapping[str, Any], roster: Roster, *, prune: bool = False,
                with_password: set[str] = frozenset(),
                password_problem: Callable[[str], str | None] | None = None,
                trusted: set[str] = frozenset(), running_admins: set[str] | None = None) -> ImportPlan:
    """The changes a roster makes to a merged config.

    `with_password`: names that have a password already; `trusted`: those
    whose password tljh-lite set; `running_admins`: the admins of the running
    hub (None: no hub yet, every admin is new); `password_problem` says why
    the authenticator would refuse a password (None: its passwords are not
    ours to set, so the roster may give none).
    """
    if not roster.people:
        raise RosterError(roster.source, ["has no one in it: below the first row, one row per person"])
    users = config["users"]
    admins = {name.lower() for name in users["admin"]}
    allowed = {name.lower() for name in users["allowed"]}
    problems: list[str] = []
    keeps = _Passwords(with_password, trusted, running_admins, password_problem)
    changes = [_person_change(config, person, admins, allowed, keeps, problems) for person in roster.people]
    if password_problem is None and any(c.password for c in changes):
        rows = ", ".join(str(c.person.row) for c in changes if c.password)
        problems = [f"rows {rows}: auth.type is {config['auth']['type']}, which keeps passwords elsewhere; leave the "
                    "password column empty (and give admins theirs with that authenticator)"] + problems
    if problems:
        raise RosterError(roster.source, problems)
    if prune:
        listed = {person.username for person in roster.people}
        for name in users["allowed"]:
            if name.lower() not in listed and name.lower() not in admins:
                before = groups_of(config, name)
                changes.append(PersonChange(name.lower(), None, groups=(before, []) if before else None))
    banned = {name.lower() for name in users["banned"]}
    warnings = [f"{c.name} is in users.banned: still locked out" for c in changes if c.person and c.name in banned]
    return ImportPlan(changes, warnings)


@dataclass(frozen=True)
class _Passwords:
    """What the store says, for deciding each person's password."""

    with_password: set[str]
    trusted: set[str]
    running_admins: set[str] | None
    problem: Callable[[str], str | None] | None

    def admin_needs_one(self, name: str) -> bool:
        """An admin-to-be who gets a password tljh-lite sets (users.promotion), where passwords are ours."""
        return self.problem is not None and needs_password(name, self.with_password, self.trusted,
                                                           self.running_admins)


def _person_change(config, person: Person, admins: set[str], allowed: set[str], keeps: _Passwords,
                   problems: list[str]) -> PersonChange:
    name = person.username
    was_admin = name in admins
    change = PersonChange(name, person, new=not was_admin and name not in allowed)
    admin = was_admin if person.admin is None else person.admin
    if admin != was_admin or change.new:
        change.role = "admin" if admin else "student"
    if person.groups is not None:
        before = groups_of(config, name)
        if set(before) != set(person.groups):
            change.groups = (before, list(person.groups))
    if person.password and not person.generate:
        problem = keeps.problem(person.password) if keeps.problem else None
        if problem:
            problems.append(f"row {person.row}: the password for {name} is {problem}")
        change.password = GIVEN
    elif (person.generate and name not in keeps.with_password) or (admin and keeps.admin_needs_one(name)):
        change.password = GENERATE
        change.replaces = name in keeps.with_password
    return change
