"""`tljh-lite users import`: from a roster file to a hub that lets the class in.

In order, so that a failure leaves nothing half done that matters:
1. read and check everything (the roster, config.yaml, every password): any
   problem stops here, with nothing written;
2. the generated passwords go to --passwords-out (0600 before a byte is
   written; never over an existing file, which may hold earlier ones);
3. the passwords are stored (hashed in parallel); if that fails, the file of
   step 2 is removed, as its passwords were never set;
4. config.yaml gets the new lists (under its lock, comments kept);
5. the hub reloads (the last good config comes back if it does not start).
Generated passwords appear nowhere else: not on the terminal, not in a log.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config.file import ConfigFile
from ..config.checker import Checker
from ..config.problems import with_count
from ..errors import TljhError
from ..files import atomic_write
from ..paths import Paths
from .passwords import NewPassword, generate_password
from .plan import GENERATE, GIVEN, ImportPlan, plan_import
from .promotion import running_admins
from .roster import Roster, read_roster
from .stores import password_store
from .trusted import RecordedStore


@dataclass(frozen=True)
class ImportOptions:
    roster: Path
    prune: bool = False
    dry_run: bool = False
    passwords_out: Path | None = None


def import_roster(paths: Paths, checker: Checker, options: ImportOptions, reload: Callable[[], object],
                  say: Callable[[str], None] = lambda text: None) -> str:
    """Import the roster; returns the one-line summary. `reload` restarts the hub into the new config."""
    roster = read_roster(options.roster)
    file = ConfigFile(paths.config_file)
    file_config = file.load()
    checker.check(file_config)  # never build on a config that is already broken
    config = checker.merged(file_config)
    store = password_store(config, paths)
    names = [person.username for person in roster.people]
    plan = plan_import(config, roster, prune=options.prune,
                       with_password=store.with_password(names) if store else set(),
                       password_problem=store.problem if store else None,
                       trusted=store.trusted(names) if store else set(), running_admins=running_admins(paths))
    _check_result(checker, file_config, plan)
    for warning in plan.warnings:
        say(f"warning: {warning}")
    theirs = _already_theirs(store, plan) if store else set()
    plan.drop_passwords(theirs)
    generated = [name for name, change in plan.passwords.items() if change.password == GENERATE]
    if options.dry_run:
        return _dry_run(plan, generated, options)
    if theirs:
        store.vouch(theirs)  # the professor gave exactly these: tljh-lite's as much as if it had set them
    _check_passwords_out(options.passwords_out, generated, roster)
    passwords = _new_passwords(plan)
    if passwords:
        say(f"Setting {_n(len(passwords), 'password')}...")
        _store(store, passwords, options.passwords_out)
    # Native's passwords are read by the running hub once; FirstUse's at every login.
    reloading = file.update(plan.apply) or bool(passwords and store.restart_hub)
    if reloading:
        reload()
    return _summary(plan, len(passwords), len(generated), options.passwords_out, reloading)


def _check_result(checker: Checker, old, plan: ImportPlan) -> None:
    before = set(checker.schema_problems(old))
    introduced = [p for p in checker.schema_problems(plan.apply(old)) if p not in before]
    if introduced:  # the roster's checks should have caught it: say so rather than write it
        raise with_count(introduced[0], len(introduced)).as_error()


def _dry_run(plan: ImportPlan, generated: list[str], options: ImportOptions) -> str:
    lines = plan.lines()
    if generated and not options.passwords_out:
        lines.append(f"({_n(len(generated), 'password')} to generate: the import needs --passwords-out FILE)")
    body = "\n".join(lines) + "\n" if lines else ""
    return body + f"Dry run: {_counts(plan)}; nothing was changed."


def _check_passwords_out(path: Path | None, generated: list[str], roster: Roster) -> None:
    if not generated:
        return
    if path is None:
        raise TljhError(
            f"{roster.source} asks for {_n(len(generated), 'generated password')} "
            f"({', '.join(generated[:3])}{', ...' if len(generated) > 3 else ''})",
            "add --passwords-out FILE: they are written there and nowhere else",
        )
    if path.exists() or path.is_symlink():
        raise TljhError(f"{path} exists; generated passwords are never written over a file (it may hold earlier ones)",
                        "give --passwords-out a new file name; nothing was changed")
    if not path.parent.is_dir():
        raise TljhError(f"the folder {path.parent} does not exist", "give --passwords-out a file in an existing folder")


def _already_theirs(store: RecordedStore, plan: ImportPlan) -> set[str]:
    """Who has the password the roster gives already (so importing a file twice changes nothing)."""
    given = {name: change.person.password for name, change in plan.passwords.items() if change.password == GIVEN}
    return store.already(given) if given else set()


def _new_passwords(plan: ImportPlan) -> dict[str, NewPassword]:
    return {
        name: NewPassword(change.person.password) if change.password == GIVEN
        else NewPassword(generate_password(), generated=True)
        for name, change in plan.passwords.items()
    }


def _store(store: RecordedStore, passwords: dict[str, NewPassword], out: Path | None) -> None:
    generated = {name: new.password for name, new in passwords.items() if new.generated}
    if generated:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["username", "password"])
        writer.writerows(sorted(generated.items()))
        atomic_write(out, text.getvalue(), 0o600)
    try:
        store.store(passwords)
    except BaseException:
        if generated:
            out.unlink(missing_ok=True)  # they were never set
        raise


def _counts(plan: ImportPlan) -> str:
    return ", ".join(f"{plan.count(what)} {what}" for what in ("added", "updated", "unchanged", "removed"))


def _summary(plan: ImportPlan, passwords: int, generated: int, out: Path | None, reloaded: bool) -> str:
    kept = f" ({generated} generated, in {out})" if generated else ""
    hub = "the hub is running with the new config" if reloaded else "nothing to reload"
    return f"Roster imported: {_counts(plan)}; {_n(passwords, 'password')} set{kept}; {hub}."


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"
