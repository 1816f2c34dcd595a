"""certbot's command lines, its failures in words, and when a new certificate is needed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fakes import RecordingRunner
from testca import TestCA
from tljh_lite.config.defaults import merged
from tljh_lite.https.acme import (
    LETSENCRYPT,
    LETSENCRYPT_STAGING,
    AcmeError,
    acme_server,
    certonly_command,
    check_resolves,
    explain_failure,
    renew_command,
)
from tljh_lite.https.files import Lineage, tls_files
from tljh_lite.https.prepare import prepare, renewal_reason
from tljh_lite.paths import Paths

SERVER = "https://acme.uni.example/directory"
CA = TestCA()


def certbot_failure(domain: str, kind: str, detail: str) -> str:
    return (
        f"Requesting a certificate for {domain}\n\nCertbot failed to authenticate some domains (authenticator: webroot). "
        f"The Certificate Authority reported these problems:\n  Domain: {domain}\n  Type:   {kind}\n"
        f"  Detail: {detail}\n\nHint: The Certificate Authority failed to download the temporary challenge files.\n"
        "Some challenges have failed.\nAsk for help or search for solutions at https://community.letsencrypt.org.\n"
    )


@pytest.mark.parametrize(
    "output, phrase",
    [
        (certbot_failure("hub.uni.example", "connection", "1.2.3.4: Fetching http://hub.uni.example/x: Timeout"),
         "could not reach port 80 of hub.uni.example"),
        (certbot_failure("hub.uni.example", "connection", 'lookup hub.uni.example on 10.0.0.1:53: no such host'),
         "could not find hub.uni.example in DNS"),
        (certbot_failure("hub.uni.example", "dns", "DNS problem: NXDOMAIN looking up A for hub.uni.example"),
         "could not find hub.uni.example in DNS"),
        (certbot_failure("hub.uni.example", "unauthorized", "Invalid response from http://hub.uni.example/x: 404"),
         "hub.uni.example did not answer with this machine's challenge"),
        ("An unexpected error occurred:\nError creating new order :: too many certificates (5) already issued for "
         "this exact set of domains in the last 168h0m0s\n", "rate limited"),
        ("An unexpected error occurred:\nurn:ietf:params:acme:error:rateLimited: Your account is limited\n",
         "rate limited"),
        ("An unexpected error occurred:\nValueError: Requesting acme.uni.example/directory: Connection refused\n",
         f"cannot reach the ACME server {SERVER}"),
        ("An unexpected error occurred:\nSomething odd\n", "certbot could not get a certificate: Something odd"),
    ],
)
def test_certbot_failures_become_one_line_with_a_hint(output, phrase):
    error = explain_failure(output, SERVER)
    assert phrase in error.message
    assert error.hint and "\n" not in error.one_line()


def test_certonly_asks_for_every_domain_over_the_webroot_from_the_chosen_server():
    command = certonly_command(["a.uni.example", "b.uni.example"], "p@uni.example", SERVER, Path("/w"), Lineage(),
                               force=False)
    assert command[:3] == ["certbot", "certonly", "--non-interactive"]
    text = " ".join(command)
    assert "--server https://acme.uni.example/directory" in text and "--webroot --webroot-path /w" in text
    assert "--domain a.uni.example --domain b.uni.example" in text and "--cert-name tljh-lite" in text
    assert "--force-renewal" not in command
    assert "--force-renewal" in certonly_command(["a.uni.example"], "p@x.org", SERVER, Path("/w"), Lineage(), True)
    assert "--no-random-sleep-on-renew" in renew_command(Lineage())


def test_the_acme_server_is_lets_encrypt_unless_set():
    assert acme_server({"staging": False, "acme_server": ""}) == LETSENCRYPT
    assert acme_server({"staging": True, "acme_server": ""}) == LETSENCRYPT_STAGING
    assert acme_server({"staging": False, "acme_server": SERVER}) == SERVER


def test_a_domain_that_does_not_resolve_is_refused_before_asking():
    import socket

    def nowhere(host, port):
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(AcmeError, match="nowhere.example does not resolve"):
        check_resolves(["nowhere.example"], resolve=nowhere)


def lineage_with(tmp_path, names, server=SERVER, days=(-1, 90)) -> Lineage:
    lineage = Lineage(root=tmp_path / "le")
    lineage.key.parent.mkdir(parents=True)
    issued = CA.issue(*names, days=days)
    lineage.key.write_text(issued.key_pem)
    lineage.fullchain.write_text(issued.cert_pem)
    lineage.renewal_conf.parent.mkdir(parents=True)
    lineage.renewal_conf.write_text(f"version = 2.1.0\n[renewalparams]\nauthenticator = webroot\nserver = {server}\n")
    return lineage


NOW = dt.datetime.now(dt.timezone.utc)


def test_a_new_certificate_only_when_needed(tmp_path):
    assert renewal_reason(Lineage(root=tmp_path / "none"), ["hub.uni.example"], SERVER, NOW) == "no certificate yet"
    lineage = lineage_with(tmp_path, ["hub.uni.example"])
    assert lineage.server() == SERVER
    assert renewal_reason(lineage, ["hub.uni.example"], SERVER, NOW) is None
    assert renewal_reason(lineage, ["hub.uni.example", "b.uni.example"], SERVER, NOW) == "the domains changed"
    assert renewal_reason(lineage, ["hub.uni.example"], LETSENCRYPT, NOW) == "the ACME server changed"
    assert renewal_reason(lineage, ["hub.uni.example"], SERVER, NOW + dt.timedelta(days=70)).startswith(
        "the current one expires in")


def https_config(**letsencrypt):
    return merged({"https": {"enabled": True, "letsencrypt": {"email": "p@uni.example", "domains": ["hub.uni.example"],
                                                               "acme_server": SERVER, **letsencrypt}}})


def test_prepare_asks_no_one_when_the_certificate_serves(tmp_path):
    lineage = lineage_with(tmp_path, ["hub.uni.example"])
    runner = RecordingRunner()
    info = prepare(https_config(), Paths(tmp_path / "opt"), runner, say=lambda text: None, lineage=lineage)
    assert info.names == ("hub.uni.example",)
    assert runner.calls == []  # no certbot, no apt: not a single request


def test_own_files_win_over_the_acme_lineage():
    config = merged({"https": {"enabled": True, "tls": {"key": "/k", "cert": "/c"}}})
    files = tls_files(config)
    assert files.own and str(files.key) == "/k" and files.settings == ("https.tls.key", "https.tls.cert")
    assert tls_files(merged({})) is None
