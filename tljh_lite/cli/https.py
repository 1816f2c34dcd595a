"""`tljh-lite https status|renew`: the certificate the hub serves, and renewing it now."""

from __future__ import annotations

from typing import Any, Mapping

from .main import add_group


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
    from ..commands import Runner
    from ..https.renew import renew

    config = context.checked_config()
    attempt = renew(config, context.paths, Runner(), force=args.force, say=print)
    if not args.quiet:
        print(attempt.result)
    return 0


def run_status(context, args) -> int:
    from ..https.status import last_attempt

    config = context.checked_config()
    lines, problems = status_lines(config, context.paths)
    attempt = last_attempt(context.paths)
    lines.append(f"Last attempt:   {attempt.line() if attempt else 'none yet'}")
    if attempt and not attempt.ok:
        problems.append("the last attempt failed (above)")
    print("\n".join(lines))
    for problem in problems:
        print(f"Needs you: {problem}")
    return 1 if problems else 0


def status_lines(config: Mapping[str, Any], paths) -> tuple[list[str], list[str]]:
    from ..https.acme import acme_server
    from ..https.certificates import CertificateError, check_pair, now_utc
    from ..https.files import tls_files
    from ..https.renew import served_by_proxy
    from ..https.units import RENEW_TIMER
    from ..commands import Runner
    from ..systemd import Systemd

    files = tls_files(config)
    if files is None:
        return ["HTTPS:          off (turn it on: docs/https.md)"], []
    letsencrypt = config["https"]["letsencrypt"]
    source = "your own certificate" if files.own else f"ACME ({acme_server(letsencrypt)})"
    lines = [f"HTTPS:          on, {source}", f"Domains:        {', '.join(letsencrypt['domains']) or '(none set)'}",
             f"Certificate:    {files.cert}"]
    problems = []
    try:
        info = check_pair(files.key, files.cert, letsencrypt["domains"], settings=files.settings)
    except CertificateError as e:
        return lines, [e.one_line()]
    days = info.days_left(now_utc())
    lines += [
        f"  for:          {', '.join(info.names) or info.subject}",
        f"  issuer:       {info.issuer}",
        f"  valid until:  {info.not_after:%Y-%m-%d %H:%M} UTC ({days:.0f} days left)",
    ]
    try:
        served = "yes" if served_by_proxy(config) == info.fingerprint else "no, an older one"
    except OSError as e:
        served = f"cannot tell: the proxy does not answer ({e})"
    lines.append(f"  served now:   {served}")
    if served != "yes":
        problems.append("the proxy does not serve this certificate; run: sudo tljh-lite https renew")
    systemd = Systemd(Runner())
    timer = systemd.property(RENEW_TIMER, "ActiveState")
    next_run = systemd.property(RENEW_TIMER, "NextElapseUSecRealtime") or "unknown"
    lines.append(f"Renewal timer:  {timer} ({RENEW_TIMER}), next check {next_run}")
    if timer != "active":
        problems.append(f"the renewal timer is not running; run: sudo systemctl enable --now {RENEW_TIMER}")
    if files.own and days < 30:
        problems.append(f"your certificate expires in {days:.0f} days: copy a new one over {files.cert}, then run "
                        "sudo tljh-lite https renew")
    return lines, problems
