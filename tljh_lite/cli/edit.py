"""`set`, `unset`, `add-item`, `remove-item`: change one key of config.yaml."""

from __future__ import annotations

import re
import sys

# name -> (Editor method, takes a VALUE, help). Modules doing the work are
# imported when a command runs, so `--help` and `show` start fast.
OPERATIONS = {
    "set": ("set", True, "set KEY to a single VALUE, e.g. set limits.memory 1G"),
    "unset": ("unset", False, "remove KEY from config.yaml, so it takes its default"),
    "add-item": ("add_item", True, "add VALUE to the list KEY, e.g. add-item users.admin prof"),
    "remove-item": ("remove_item", True, "remove VALUE from the list KEY"),
}

RELOAD_HINT = "Run 'sudo tljh-config reload' to apply the change."
DISK_LIMIT_KEY = re.compile(r"(groups\.[^.]+\.)?limits\.disk")


def add_parsers(commands, common) -> None:
    for name, (_method, takes_value, help_text) in OPERATIONS.items():
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.add_argument("key", metavar="KEY", help="a dotted key, like limits.memory")
        if takes_value:
            sub.add_argument(
                "value",
                metavar="VALUE",
                help="none, true/false, a number, or text (a key that takes text keeps it as text)",
            )
        sub.set_defaults(run=run, operation=name)


def run(context, args) -> int:
    from ..config.editor import Editor

    context.require_access()
    method, takes_value, _help = OPERATIONS[args.operation]
    operation = getattr(Editor(context.checker), method)
    values = [args.value] if takes_value else []
    new_admin = _new_admin_password(context, operation, args) if args.operation == "add-item" else None
    outcome = []

    def change(config):
        result = operation(config, args.key, *values)
        outcome.append(result)
        return result.config if result.changed else config

    context.file.update(change)
    result = outcome[0]
    print(result.summary)
    for line in new_admin.lines() if new_admin else ():
        print(line)
    warnings = list(result.warnings)
    if result.changed and DISK_LIMIT_KEY.fullmatch(args.key) and values and values[0].lower() != "none":
        warnings += _disk_warning(context)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.changed:
        print(RELOAD_HINT)
    return 0


def _new_admin_password(context, operation, args):
    """Before config.yaml names a new admin of the installed hub, she gets a password (users.newpassword)
    unless she has one tljh-lite set.

    Typed twice on a terminal (Enter: generated), else generated; what was
    done is returned (a NewAdminPassword), a generated password to be shown once.
    """
    if args.key != "users.admin" or context.config_path != context.paths.config_file:
        return None
    if not context.paths.state_dir.is_dir():  # not installed yet: the installer sets admins' passwords
        return None
    config = context.file.load()
    if not operation(config, args.key, args.value).changed:  # refused, or she is an admin already
        return None
    from ..users.newpassword import password_for_new_admin
    from .framework import ask_password

    return password_for_new_admin(context.checker.merged(config), context.paths, args.value, ask_password)


def _disk_warning(context) -> list[str]:
    """Whether this machine can enforce a disk limit as it is (only for its own config.yaml)."""
    if context.config_path != context.paths.config_file:
        return []
    from ..quotas.machine import supports
    from ..quotas.report import setting_warning
    from ..runner import Runner

    warning = setting_warning(supports(Runner()))
    return [warning] if warning else []
