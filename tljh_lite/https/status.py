"""The certificate as `tljh-lite https status` and `tljh-lite status` show it, with what needs the professor."""

from __future__ import annotations

from typing import Any, Mapping

from ..runner import Runner
from ..systemd import Systemd
from .acme import acme_server
from .certificates import CertificateError, check_pair, now_utc
from .files import tls_files
from .served import served_by_proxy
from .units import RENEW_TIMER


def status_lines(config: Mapping[str, Any], runner: Runner) -> tuple[list[str], list[str]]:
    """What `tljh-lite https status` and `tljh-lite status` show of the certificate: (lines, problems)."""
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
    systemd = Systemd(runner)
    timer = systemd.property(RENEW_TIMER, "ActiveState")
    next_run = systemd.property(RENEW_TIMER, "NextElapseUSecRealtime") or "unknown"
    lines.append(f"Renewal timer:  {timer} ({RENEW_TIMER}), next check {next_run}")
    if timer != "active":
        problems.append(f"the renewal timer is not running; run: sudo systemctl enable --now {RENEW_TIMER}")
    if files.own and days < 30:
        problems.append(f"your certificate expires in {days:.0f} days: copy a new one over {files.cert}, then run "
                        "sudo tljh-lite https renew")
    return lines, problems
