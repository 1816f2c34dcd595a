"""`tljh-lite https status|renew`: the certificate the hub serves, and renewing it now."""

from __future__ import annotations

from .framework import add_group

RENEW_TIMEOUT = 90  # seconds for the hub to answer again after the proxy restarted


def add_parsers(commands, common) -> None:
    actions = add_group(
        commands, common, "https", help="the HTTPS certificate: status, renew",
        description="Show or renew the certificate the hub serves (turn HTTPS on with tljh-config: docs/https.md).",
    )
    status = actions.add_parser(
        "status", parents=[common], help="domains, issuer, expiry, what the proxy serves, the last renewal",
        description="Show the certificate (domains, issuer, expiry), whether the proxy serves it, and the last "
        "renewal's result. Exit code 1 when something needs you.",
    )
    status.set_defaults(run=run_status)
    renew = actions.add_parser(
        "renew", parents=[common], help="renew the certificate if due, and serve the current one",
        description="What the renewal timer runs twice a day: renew the ACME certificate when it is due (30 days "
        "before expiry) and restart the proxy if it serves an older certificate than the file.",
    )
    renew.add_argument("--force", action="store_true", help="ask the ACME server for a new certificate even if not due")
    renew.add_argument("--quiet", action="store_true", help="print nothing when all is well (for the timer)")
    renew.set_defaults(run=run_renew)


def run_renew(context, args) -> int:
    from ..https.renew import renew
    from ..runner import Runner
    from ..units.manager import UnitManager

    config = context.checked_config()
    runner = Runner()
    units = UnitManager(context.paths, runner)
    attempt = renew(config, context.paths, runner, lambda: units.restart_proxy(config, RENEW_TIMEOUT),
                    force=args.force, say=print)
    if not args.quiet:
        print(attempt.result)
    return 0


def run_status(context, args) -> int:
    from ..https.attempts import last_attempt
    from ..https.status import status_lines
    from ..runner import Runner

    config = context.checked_config()
    lines, problems = status_lines(config, Runner())
    attempt = last_attempt(context.paths)
    lines.append(f"Last attempt:   {attempt.line() if attempt else 'none yet'}")
    if attempt and not attempt.ok:
        problems.append("the last attempt failed (above)")
    print("\n".join(lines))
    for problem in problems:
        print(f"Needs you: {problem}")
    return 1 if problems else 0
