"""Certificates from an ACME server through Debian's certbot (http-01, webroot).

Pure functions build certbot's command lines and read its failures; `Certbot`
runs them through the command seam. One certificate lineage, named
`tljh-lite`, holds the hub's names: /etc/letsencrypt/live/tljh-lite/.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any, Mapping, Sequence

import requests

from ..runner import Runner
from ..errors import TljhError
from .files import Lineage

LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETSENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
CERTBOT_LOG = "/var/log/letsencrypt/letsencrypt.log"
CERTBOT_PACKAGE = "certbot"  # Debian's, installed the first time HTTPS needs it (and by every bundle install)
# certbot (Debian's python3-requests) trusts the system store; so do our own checks,
# so a campus CA added with update-ca-certificates works for both.
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
RENEW_BEFORE_DAYS = 30  # certbot's own default for `renew`


class AcmeError(TljhError):
    """Getting a certificate from the ACME server failed; the message says why."""


def acme_server(letsencrypt: Mapping[str, Any]) -> str:
    """The ACME directory URL for https.letsencrypt: its acme_server, else Let's Encrypt (staging if asked)."""
    if letsencrypt.get("acme_server"):
        return letsencrypt["acme_server"]
    return LETSENCRYPT_STAGING if letsencrypt.get("staging") else LETSENCRYPT


def certonly_command(
    domains: Sequence[str], email: str, server: str, webroot: Path, lineage: Lineage, force: bool
) -> list[str]:
    command = [
        "certbot", "certonly", "--non-interactive", "--agree-tos", "--no-eff-email",
        "--email", email,
        "--server", server,
        "--webroot", "--webroot-path", str(webroot),
        "--cert-name", lineage.name,
        "--config-dir", str(lineage.root),
    ]
    for domain in domains:
        command += ["--domain", domain]
    if force:  # new names or a new server: certbot would otherwise keep the current certificate
        command.append("--force-renewal")
    return command


def renew_command(lineage: Lineage, force: bool = False) -> list[str]:
    # No random sleep: our timer already spreads its runs (RandomizedDelaySec).
    return ["certbot", "renew", "--non-interactive", "--no-random-sleep-on-renew",
            "--cert-name", lineage.name, "--config-dir", str(lineage.root), *(["--force-renewal"] if force else [])]


# ---------------------------------------------------------------- failures

_FIELD = re.compile(r"^\s*(Domain|Type|Detail):\s*(.*)$", re.MULTILINE)
_UNEXPECTED = re.compile(r"An unexpected error occurred:\s*\n(.+)")


def explain_failure(output: str, server: str) -> AcmeError:
    """certbot's output for a failed request, as one line saying why and what to do."""
    fields = {key: value.strip() for key, value in _FIELD.findall(output)}
    domain, kind, detail = fields.get("Domain", "the domain"), fields.get("Type", ""), fields.get("Detail", "")
    text = output.lower()
    if "ratelimit" in text.replace(" ", "").replace("_", "") or "too many" in text:
        reason = detail or _last_error_line(output)
        return AcmeError(
            f"the ACME server refuses more certificates for now (rate limited: {reason})",
            "wait and try again later (Let's Encrypt's limits reset within a week), "
            "and test with: sudo tljh-config set https.letsencrypt.staging true",
        )
    if detail and ("no such host" in detail or "nxdomain" in detail.lower() or kind == "dns"):
        return AcmeError(
            f"the ACME server could not find {domain} in DNS ({detail})",
            f"create a DNS A (or AAAA) record for {domain} with this machine's public address, "
            "wait until it resolves, then run: sudo tljh-config reload proxy",
        )
    if kind == "connection":
        return AcmeError(
            f"the ACME server could not reach port 80 of {domain} ({detail})",
            f"check that {domain} points at this machine and that port 80 is open to the internet "
            "(cloud firewall or security group), then run: sudo tljh-config reload proxy",
        )
    if kind == "unauthorized":
        return AcmeError(
            f"{domain} did not answer with this machine's challenge ({detail})",
            f"{domain} probably points at another machine: fix its DNS record, then run: sudo tljh-config reload proxy",
        )
    if kind:
        return AcmeError(f"the ACME server refused {domain}: {kind}: {detail}", f"see {CERTBOT_LOG}")
    reason = _last_error_line(output)
    if "connection refused" in reason.lower() or "max retries" in reason.lower() or "name or service" in reason.lower():
        return unreachable(server, reason)
    return AcmeError(f"certbot could not get a certificate: {reason}", f"see {CERTBOT_LOG}")


def _last_error_line(output: str) -> str:
    match = _UNEXPECTED.search(output)
    if match:
        return match.group(1).strip()
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Saving debug log", "Ask for help", "See the logfile"))]
    return (useful or lines or ["no output"])[-1]


def unreachable(server: str, reason: str) -> AcmeError:
    return AcmeError(
        f"cannot reach the ACME server {server} ({reason})",
        "check this machine's network, firewall and proxy, and https.letsencrypt.acme_server; "
        "a campus CA must be in the system store (update-ca-certificates)",
    )


# ---------------------------------------------------------------- checks before asking


def check_server_reachable(server: str, timeout: float = 15) -> None:
    """Fetch the ACME directory, trusting what certbot trusts; raise AcmeError if we cannot."""
    try:
        response = requests.get(server, timeout=timeout, verify=SYSTEM_CA_BUNDLE)
    except requests.exceptions.SSLError as e:
        raise AcmeError(
            f"the ACME server {server} has a certificate this machine does not trust ({_short(e)})",
            "add its CA to /usr/local/share/ca-certificates/ and run: sudo update-ca-certificates",
        ) from None
    except requests.RequestException as e:
        raise unreachable(server, _short(e)) from None
    if response.status_code != 200 or "newOrder" not in response.text:
        raise AcmeError(
            f"{server} is not an ACME directory (HTTP {response.status_code})",
            "check https.letsencrypt.acme_server: it is the directory URL, often ending in /directory",
        )


def check_resolves(domains: Sequence[str], resolve=socket.getaddrinfo) -> None:
    for domain in domains:
        try:
            resolve(domain, 80)
        except (socket.gaierror, UnicodeError) as e:
            raise AcmeError(
                f"{domain} does not resolve to any address ({e})",
                f"create a DNS A (or AAAA) record for {domain} with this machine's public address, "
                "wait until it resolves, then run: sudo tljh-config reload proxy",
            ) from None


def _short(error: Exception) -> str:
    text = str(error)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:200]


class Certbot:
    """Runs certbot through the command seam."""

    def __init__(self, runner: Runner, lineage: Lineage = Lineage()):
        self.runner = runner
        self.lineage = lineage

    def obtain(self, domains: Sequence[str], email: str, server: str, webroot: Path, force: bool) -> None:
        command = certonly_command(domains, email, server, webroot, self.lineage, force)
        result = self.runner.run(command, check=False, timeout=300)
        if not result.ok:
            raise explain_failure(result.output, server)

    def renew(self, force: bool = False) -> str:
        """`certbot renew` for our lineage (renews only when due, unless `force`); raises AcmeError on failure."""
        result = self.runner.run(renew_command(self.lineage, force), check=False, timeout=600)
        if not result.ok:
            raise explain_failure(result.output, self.lineage.server() or "the ACME server")
        return result.output
