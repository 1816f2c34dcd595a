"""`tljh-lite report`: what the class used, the VM to rent, limits.memory, the cost per student."""

from __future__ import annotations

from pathlib import Path


def add_parsers(commands, common) -> None:
    report = commands.add_parser(
        "report", parents=[common], help="usage, the VM size to rent, limits.memory, cost per student-month",
        description="From the usage record (a sample every minute, kept on this machine): the peak number of "
        "students at once, memory per active and idle student (p50/p95), CPU, the VM to rent and the limits.memory "
        "to set, and the cost per student-month from cost.vm_monthly. See docs/status.md.",
    )
    report.add_argument("--since", default="30d", metavar="PERIOD", help="how far back: 90m, 12h, 30d, 2w (default 30d)")
    report.add_argument("--students", type=int, metavar="N", help="size for N students at once (default: users.allowed)")
    report.add_argument("--html", type=Path, metavar="FILE", help="also write a page with plots to FILE")
    report.add_argument("--json", action="store_true", help="the figures as JSON")
    report.set_defaults(run=run_report)


def run_report(context, args) -> int:
    import json
    import time

    from ..errors import TljhError
    from ..usage import report as usage_report

    since = usage_report.parse_since(args.since)
    if args.students is not None and args.students < 1:
        raise TljhError(f"--students {args.students} is not a number of students", "give 1 or more")
    config = context.checked_config()
    result = usage_report.load(context.paths, config, since, args.students)
    if args.json:
        print(json.dumps(result.as_dict() if result else None, indent=2))
    else:
        print(usage_report.text(result, args.since))
    if args.html:
        from ..usage.page import write_html
        from ..usage.store import open_store, record_file
        from ..usage.summary import series

        rows = []
        if record_file(context.paths).exists():
            db = open_store(record_file(context.paths), readonly=True)
            now = int(time.time())
            rows = series(db, now - since, now)
            db.close()
        write_html(result, args.since, rows, args.html)
        print(f"Wrote {args.html}")
    return 0
