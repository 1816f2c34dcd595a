"""Renewal, run by the timer twice a day (and by `tljh-lite https renew`).

certbot renews the ACME certificate when it is due (30 days before expiry).
Whoever renewed it (this, or Debian's own certbot.timer), the proxy reads
certificates only when it starts: so we compare what the proxy serves with
the file, and restart the proxy when they differ; its ExecStartPost makes the
hub put every route back within seconds. Own certificates are handled the
same way: copy a new one over the old file and it is served at the next run.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..runner import Runner
from ..errors import TljhError
from ..paths import Paths
from . import attempts
from .acme import Certbot
from .certificates import CertificateInfo, check_pair
from .files import tls_files
from .served import served_by_proxy


def renew(
    config: Mapping[str, Any], paths: Paths, runner: Runner, restart_proxy: Callable[[], None],
    force: bool = False, say: Callable[[str], None] = print,
) -> attempts.Attempt:
    """Renew the ACME certificate if due; `restart_proxy()` (the unit manager's) makes the proxy serve the file."""
    files = tls_files(config)
    if files is None:
        raise TljhError("HTTPS is off, so there is no certificate to renew", "docs/https.md says how to turn it on")
    try:
        if not files.own:
            Certbot(runner).renew(force)
        info = check_pair(files.key, files.cert, config["https"]["letsencrypt"]["domains"], settings=files.settings)
        result = _serve(info, config, restart_proxy, say)
    except TljhError as e:
        attempts.record(paths, "renew", False, e.one_line())
        raise
    return attempts.record(paths, "renew", True, result)


def _serve(info: CertificateInfo, config: Mapping[str, Any], restart_proxy: Callable[[], None], say) -> str:
    until = f"valid until {info.not_after:%Y-%m-%d}"
    try:
        served = served_by_proxy(config)
    except OSError:
        served = None  # the proxy does not answer: starting it serves the file
    if served == info.fingerprint:
        return f"the proxy serves the current certificate, {until}"
    say("The proxy serves an older certificate; restarting it with the new one...")
    restart_proxy()
    return f"the proxy now serves the new certificate, {until}"
