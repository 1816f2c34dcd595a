"""`tljh-lite status`: versions, services, certificate, students' servers, machine, last backup."""

from __future__ import annotations


def add_parsers(commands, common) -> None:
    status = commands.add_parser(
        "status", parents=[common], help="is the hub healthy: services, servers, memory, disk, certificate, backup",
        description="Show the hub's services and their uptime, the certificate's expiry, each student's running "
        "server (memory now and peak, CPU, idle time), the machine's memory, CPU and disks, and the last backup. "
        "Exit code 1 when something needs you (each named on a 'Needs you' line). See docs/status.md.",
    )
    status.add_argument("--json", action="store_true", help="the same as JSON, for monitoring")
    status.set_defaults(run=run_status)


def run_status(context, args) -> int:
    import json

    from ..runner import Runner
    from ..errors import TljhError
    from ..status.collect import collect
    from ..status.render import text

    context.require_access()
    try:
        config = context.checked_config()
    except TljhError as e:  # a half-installed machine: say what is missing with the defaults' view
        from ..config.defaults import merged

        config = merged({})
        status = collect(config, context.paths, Runner())
        status["problems"].insert(0, f"config: {e.one_line()}")
    else:
        status = collect(config, context.paths, Runner())
    print(json.dumps(status, indent=2, default=str) if args.json else text(status))
    return 1 if status["problems"] else 0

