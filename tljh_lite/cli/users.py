"""`tljh-lite users import|reset-password|list`: the class roster, passwords, and who is who."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import TljhError
from .framework import add_group, ask_password

GENERATE_COMMAND = "sudo tljh-lite users reset-password {name} --generate"
ROSTER_HELP = ("Columns: username (required), password (empty: set at first login; *: generate one), "
               "groups (separated by ;), admin (yes/no); see docs/users.md")


def add_parsers(commands, common) -> None:
    actions = add_group(
        commands, common, "users", help="the class: import a roster, reset a password, list everyone",
        description="Add a class from a CSV roster, reset a password, list who may log in.",
    )
    roster = actions.add_parser(
        "import", parents=[common], help="add the people of a CSV roster, with passwords and groups, and reload",
        description="Add the people of ROSTER to users.allowed (admins to users.admin) and their groups, set "
        "their passwords, and reload the hub. Importing the same file again changes nothing. " + ROSTER_HELP,
    )
    roster.add_argument("roster", metavar="ROSTER", type=Path, help="a CSV file exported from a spreadsheet")
    roster.add_argument("--dry-run", action="store_true", help="print what would change, and change nothing")
    roster.add_argument("--prune", action="store_true",
                        help="remove students who are not in ROSTER: they can no longer log in; their homes stay")
    roster.add_argument("--passwords-out", type=Path, metavar="FILE",
                        help="a new file for the generated passwords (CSV: username,password; root only, 0600)")
    roster.add_argument("--timeout", type=float, default=90, help="seconds to wait for the hub (default 90)")
    roster.set_defaults(run=run_import)
    reset = actions.add_parser(
        "reset-password", parents=[common], help="give NAME a new password (typed, from stdin, or generated)",
        description="Set a new password for NAME: typed twice on a terminal, the first line of stdin, or "
        "generated with --generate and shown once. Her running server is not touched.",
    )
    reset.add_argument("name", metavar="NAME")
    reset.add_argument("--generate", action="store_true", help="generate a password and show it once")
    reset.add_argument("--timeout", type=float, default=90, help="seconds to wait for the hub, if it restarts")
    reset.set_defaults(run=run_reset)
    listing = actions.add_parser(
        "list", parents=[common], help="everyone: role, groups, whether they have a password, disk use",
        description="List admins, students, and users who may no longer log in, with their groups, "
        "whether they have a password, and, where disk quotas are on, their disk use against their quota.",
    )
    listing.set_defaults(run=run_list)


def run_import(context, args) -> int:
    from ..users.importer import ImportOptions, import_roster
    from ..users.roster import RosterError

    context.require_installed_hub("users import changes")
    options = ImportOptions(args.roster, args.prune, args.dry_run, args.passwords_out)
    try:
        summary = import_roster(context.paths, context.checker, options, _reloader(context, args.timeout), say)
    except RosterError as e:
        for problem in e.problems if len(e.problems) > 1 else ():
            print(f"  {problem}", file=sys.stderr)
        raise
    print(summary)
    return 0


def run_reset(context, args) -> int:
    from ..users.newpassword import reset_password

    context.require_installed_hub("users reset-password changes")
    config = context.checked_config()
    password = None if args.generate else _read_password(args.name)
    generated, store = reset_password(config, context.paths, args.name, password)
    if store.restart_hub:  # NativeAuthenticator: the running hub would still take the old one
        _reloader(context, args.timeout)()
    name = args.name.lower()
    if generated:
        print(f"New password for {name}: {generated}  (shown only once: write it down)")
    else:
        print(f"Password for {name} changed.")
    return 0


def run_list(context, args) -> int:
    from ..users.admission import known_users
    from ..users.listing import table, totals, user_rows
    from ..users.stores import password_store

    from ..quotas.apply import hub_names
    from ..quotas.report import disk_cells, homes_usage
    from ..runner import Runner

    context.require_installed_hub("users list reads")
    config = context.checked_config()
    store = password_store(config, context.paths)
    known = known_users(context.paths.hub_db)
    usage = homes_usage(Runner())  # None: quotas are off, no DISK column
    disk = None if usage is None else disk_cells(usage, hub_names(config, usage, known))
    rows = user_rows(config, known, store.with_password if store else None, disk)
    print(table(rows))
    print(totals(rows))
    return 0


def say(text: str) -> None:
    print(text, flush=True)


def _read_password(name: str) -> str:
    if sys.stdin.isatty():
        password = ask_password(name)
        if password is None:
            raise TljhError("no password typed", f"type one, or use: {GENERATE_COMMAND.format(name=name)}")
        return password
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise TljhError("no password on stdin", f"pipe one in, or use: {GENERATE_COMMAND.format(name=name)}")
    return password


def _reloader(context, timeout: float):
    def reload_hub() -> str:
        from ..runner import Runner
        from ..reload import reload

        say("Restarting the hub and waiting for it to answer (students' servers keep running)...")
        return reload("hub", context.paths, context.checker, Runner(), timeout, say=say)

    return reload_hub
