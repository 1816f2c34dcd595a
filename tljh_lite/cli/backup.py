"""`tljh-lite backup create|restore|status`: one file that brings the whole hub back (docs/backup.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .framework import add_group


def add_parsers(commands, common) -> None:
    actions = add_group(
        commands, common, "backup", help="back up the hub, restore it, scheduled backups",
        description="Back up the whole hub into one file, restore it here or on a new machine, and see the "
        "scheduled backups (turn them on with: sudo tljh-config set backup.schedule daily). See docs/backup.md.",
    )
    create = actions.add_parser(
        "create", parents=[common], help="write a backup (0600) of the database, passwords, config, plugins, homes",
        description="Write one archive with the hub database (a consistent snapshot, while the hub runs), the "
        "passwords, secrets, config.yaml, jupyterhub_config.d, certificates, the list of plugins and their data, "
        "and every student's home. Default: a dated file in backup.path.",
    )
    create.add_argument("--file", metavar="PATH", help="where to write it: a file, a folder, or - for standard output")
    create.add_argument("--skip-homes", action="store_true", help="leave the students' homes out")
    create.add_argument("--scheduled", action="store_true", help=argparse.SUPPRESS)  # what the timer runs
    create.set_defaults(run=run_create)
    restore = actions.add_parser(
        "restore", parents=[common], help="bring a hub back from a backup (on a fresh install, or this one)",
        description="Check the whole archive, then stop the hub, put back its database, passwords, config, "
        "plugins, unix accounts and homes, and start it again. Refuses a hub that has users unless --force.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the backup (tljh-lite-backup-*.tar.gz)")
    restore.add_argument("--force", action="store_true", help="restore over a hub that has users")
    restore.set_defaults(run=run_restore)
    status = actions.add_parser(
        "status", parents=[common], help="the schedule, the last scheduled backup, the backups kept",
        description="Show the backup schedule, the last scheduled backup's result and the backups in backup.path. "
        "Exit code 1 when something needs you.",
    )
    status.set_defaults(run=run_status)


def run_create(context, args) -> int:
    import sys

    from ..backup.create import STDOUT, create
    from ..backup.scheduled import run_scheduled
    from ..plugins import installed_plugins

    config = context.checked_config()
    to_stdout = args.file == STDOUT
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if to_stdout else (lambda text: print(text, flush=True))
    if args.scheduled:
        created, deleted = run_scheduled(context.paths, config, installed_plugins(), say)
        for path in deleted:
            say(f"Deleted the old scheduled backup {path} (backup.keep is {config['backup']['keep']})")
    else:
        created = create(context.paths, config, installed_plugins(), args.file, homes=not args.skip_homes, say=say)
    if created.changed:
        say(f"{len(created.changed)} files changed while they were read; the backup has them as they were then")
    if created.vanished:
        say(f"{created.vanished} files or folders vanished before they were read (deleted meanwhile): not in it")
    for line in created.skipped_lines():
        say(line)
    say(created.summary())
    return 0


def run_restore(context, args) -> int:
    from ..runner import Runner
    from ..backup.restore import restore
    from ..installer.main import setup_logging

    context.require_access()
    setup_logging(context.paths.installer_log)
    restored = restore(args.file.absolute(), context.paths, Runner(), force=args.force)
    for warning in restored.warnings:
        print(f"warning: {warning}")
    print(f"\nRestored: {restored.accounts} accounts, {restored.files} files"
          + (f", plugins {', '.join(restored.plugins)}" if restored.plugins else "") + ".")
    print(f"Your hub: {restored.url}  (students log in with their old passwords)")
    return 0


def run_status(context, args) -> int:
    from ..backup.rotation import backups_in
    from ..backup.scheduled import backup_problem, last_scheduled
    from ..backup.units import BACKUP_TIMER
    from ..runner import Runner
    from ..systemd import Systemd

    config = context.checked_config()
    settings = config["backup"]
    folder = Path(settings["path"])
    systemd = Systemd(Runner())
    timer = systemd.property(BACKUP_TIMER, "ActiveState") or "unknown"
    lines = [f"Schedule:       {settings['schedule']} (keep {settings['keep']}, in {folder})"]
    problems = []
    if settings["schedule"] != "off":
        next_run = systemd.property(BACKUP_TIMER, "NextElapseUSecRealtime") or "unknown"
        lines.append(f"Timer:          {timer} ({BACKUP_TIMER}), next run {next_run}")
        if timer != "active":
            problems.append("the backup timer is not running; run: sudo tljh-config reload")
    attempt = last_scheduled(context.paths)
    lines.append(f"Last scheduled: {attempt.line() if attempt else 'none yet'}")
    lines += [f"                {note}" for note in attempt.notes] if attempt else []
    problem = backup_problem(attempt)
    if problem:
        problems.append(f"{problem} (above); see: sudo journalctl -u tljh-backup.service")
    found = backups_in(folder)
    lines.append(f"Backups here:   {len(found)}" + (f", newest {found[0].name}" if found else ""))
    print("\n".join(lines))
    for problem in problems:
        print(f"Needs you: {problem}")
    return 1 if problems else 0
