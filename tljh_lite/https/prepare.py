"""Before the proxy is (re)started with HTTPS: make sure it has a key and
certificate it can serve, asking the ACME server only when it must.

Own files are checked. For the ACME lineage a new certificate is requested
only when there is none, the domains or the ACME server changed, or it
expires within 30 days; a second `reload proxy` with nothing changed asks
the ACME server for nothing (Let's Encrypt rate-limits).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..apt import Distro, ensure_apt_packages
from ..errors import TljhError
from ..paths import Paths
from ..ports import ACME_CHALLENGE_PORT, wait_for_port
from ..runner import Runner
from ..systemd import Systemd, reason_from_journal
from . import attempts
from .acme import (
    CERTBOT_PACKAGE, RENEW_BEFORE_DAYS, Certbot, Lineage, acme_server, check_resolves, check_server_reachable,
)
from .certificates import CertificateError, CertificateInfo, check_pair, inspect, now_utc
from .files import tls_files
from .units import RESPONDER_UNIT

RESPONDER_TIMEOUT = 10


def renewal_reason(lineage: Lineage, domains: Sequence[str], server: str, now: dt.datetime) -> str | None:
    """Why a new certificate is needed, or None if the current one serves."""
    if not (lineage.fullchain.exists() and lineage.key.exists()):
        return "no certificate yet"
    try:
        info = inspect(lineage.fullchain)
    except CertificateError:
        return "the current certificate cannot be read"
    if {n.lower() for n in info.names} != {d.lower() for d in domains}:
        return "the domains changed"
    if lineage.server() != server:
        return "the ACME server changed"
    days = info.days_left(now)
    if days < RENEW_BEFORE_DAYS:
        return f"the current one expires in {max(days, 0):.0f} days"
    return None


def ensure_webroot(paths: Paths) -> Path:
    """certbot writes challenge files here; the port-80 responder (any user) reads them."""
    paths.acme_webroot.mkdir(mode=0o755, parents=True, exist_ok=True)
    os.chmod(paths.acme_webroot, 0o755)
    return paths.acme_webroot


def ensure_certbot(runner: Runner, say: Callable[[str], None]) -> None:
    if shutil.which("certbot", path="/usr/bin:/bin:/usr/local/bin"):
        return
    say("Installing certbot (the first time only)...")
    ensure_apt_packages(runner, Distro.from_os_release(Path("/etc/os-release").read_text()), [CERTBOT_PACKAGE])


def prepare(
    config: Mapping[str, Any],
    paths: Paths,
    runner: Runner,
    say: Callable[[str], None] = print,
    lineage: Lineage = Lineage(),
    now: dt.datetime | None = None,
) -> CertificateInfo | None:
    """The certificate the proxy will serve for `config`, checked (None without HTTPS).

    Raises a one-line TljhError naming the cause and what to do; nothing
    that serves students is touched here.
    """
    files = tls_files(config, lineage)
    if files is None:
        return None
    now = now or now_utc()
    letsencrypt = config["https"]["letsencrypt"]
    domains = letsencrypt["domains"]
    if files.own:
        return check_pair(files.key, files.cert, domains, now, files.settings)
    server = acme_server(letsencrypt)
    reason = renewal_reason(lineage, domains, server, now)
    if reason is None:
        return check_pair(files.key, files.cert, domains, now)
    say(f"Getting a certificate for {', '.join(domains)} from {server} ({reason})...")
    try:
        ensure_certbot(runner, say)
        check_resolves(domains)
        check_server_reachable(server)
        webroot = ensure_webroot(paths)
        Certbot(runner, lineage).obtain(domains, letsencrypt["email"], server, webroot, force=reason != "no certificate yet")
        info = check_pair(files.key, files.cert, domains)  # now, after the issuance: not the start's time
    except TljhError as e:
        attempts.record(paths, "obtain", False, e.one_line())
        raise
    attempts.record(paths, "obtain", True, f"certificate for {', '.join(info.names)} until {info.not_after:%Y-%m-%d}")
    say(f"Got a certificate for {', '.join(info.names)}, valid until {info.not_after:%Y-%m-%d}.")
    return info


def prepare_tls(config: Mapping[str, Any], paths: Paths, runner: Runner, say: Callable[[str], None],
                ensure_running: Callable[[str], None]) -> None:
    """Before the proxy (re)starts: with HTTPS on, the port-80 responder answering ACME challenges
    (`ensure_running(unit)`: the unit manager writes, enables and starts it), then a checked
    certificate, obtained if needed."""
    if config["https"]["enabled"]:
        ensure_running(RESPONDER_UNIT)
        if not wait_for_port(ACME_CHALLENGE_PORT, RESPONDER_TIMEOUT):
            raise TljhError(
                f"the port-80 responder ({RESPONDER_UNIT}) did not start: "
                + reason_from_journal(Systemd(runner).journal(RESPONDER_UNIT, 30)),
                f"see: sudo journalctl -u {RESPONDER_UNIT}",
            )
    prepare(config, paths, runner, say)
