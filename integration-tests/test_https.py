"""HTTPS as a professor turns it on with TLJH's commands, against a real ACME
server (pebble, in its own container on a docker network, validating the
hub's port 80 by name), checked from outside through the published ports,
trusting only pebble's root (or the tests' own CA for own certificates).

One hub per Debian release; the tests run in file order and build on each
other (HTTP first, then Let's Encrypt mode, failures, own certificates,
renewal, back to HTTP).
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from acme_server import DIRECTORY, ELSEWHERE, Pebble
from containers import ContainerFactory, ExecResult, Network
from hubclient import HubClient
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub
from testca import TestCA, key_pem

DOMAIN = "hub.test"
EMAIL = "prof@uni.example"
STUDENT, STUDENT_PASSWORD = "carol", "carol-first-password"
LINEAGE_CONF = "/etc/letsencrypt/renewal/tljh-lite.conf"
OWN_DIR = "/etc/tljh-test-certs"


@pytest.fixture(scope="session", autouse=True)
def hub_test_resolves_to_this_machine():
    """hub.test means 127.0.0.1 to this test process (its ports are published there),
    so clients use the real name: SNI, certificate checks and cookies as in a browser."""
    original = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return original("127.0.0.1" if host == DOMAIN else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    yield
    socket.getaddrinfo = original


@dataclass
class HttpsHub:
    hub: InstalledHub
    pebble: Pebble
    network: Network
    trust: Path  # the CA file a student's machine trusts: pebble's root, or the test CA

    @property
    def https_url(self) -> str:
        return f"https://{DOMAIN}:{self.hub.container.host_ports[443]}/"

    @property
    def http_url(self) -> str:
        return f"http://{DOMAIN}:{self.hub.container.host_port}/"

    def client(self) -> HubClient:
        return HubClient(self.https_url, ca_bundle=str(self.trust))

    def trust_pebble(self) -> None:
        self.trust.write_text(self.pebble.root_pem())

    def served(self) -> str:
        """sha256 of the certificate the hub serves to a client asking for hub.test."""
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.hub.container.host_ports[443]), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
                return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()

    def api_answers(self) -> bool:
        return requests.get(self.https_url + "hub/api", verify=str(self.trust), timeout=10).status_code == 200


@pytest.fixture(scope="session")
def https_hub(session_containers: ContainerFactory, image: str, fresh_install, tmp_path_factory):
    network = Network()
    started = []
    try:
        pebble = Pebble(session_containers, image, network)
        started.append(pebble.container)
        hub = fresh_install(network=network.name, aliases=[DOMAIN], extra_ports=[443])
        started.append(hub.container)
        # The hub trusts the ACME server's listener as it would a campus CA: in the system store.
        hub.container.write_file("/usr/local/share/ca-certificates/test-acme-listener.crt", pebble.listener_ca.cert_pem)
        hub.sh("update-ca-certificates")
        hub.tljh_config("add-item", "users.allowed", STUDENT)
        hub.tljh_config("reload")
        yield HttpsHub(hub, pebble, network, tmp_path_factory.mktemp("trust") / "ca.pem")
    finally:
        for container in started:
            container.remove()
        network.remove()


def fails_cleanly(result: ExecResult, phrase: str) -> None:
    assert result.exit_code == 1, result
    err = result.stderr.strip()
    assert err.count("\n") == 0, err  # one line
    assert phrase in err, err
    assert "Traceback" not in result.stdout + result.stderr


def proxy_pid(hub: InstalledHub) -> str:
    return hub.unit_property("configurable-http-proxy", "MainPID")


def test_an_http_address_of_its_own_passes_the_health_check(https_hub):
    hub = https_hub.hub
    address = https_hub.network.address_of(hub.container)
    hub.tljh_config("set", "http.address", address)
    try:
        result = hub.tljh_config("reload", "proxy")
        assert "running with the new config" in result.stdout
        assert hub.sh(f"curl -s http://{address}/hub/api").stdout.startswith('{"version"')
        assert hub.sh("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/hub/api", check=False).stdout != "200"
    finally:
        hub.tljh_config("unset", "http.address")
        hub.tljh_config("reload", "proxy")


def test_tljh_docs_https_steps_get_a_certificate_from_the_acme_server(https_hub):
    hub, pebble = https_hub.hub, https_hub.pebble
    # TLJH's documented steps, with our one new key pointing at the test ACME server.
    hub.tljh_config("set", "https.enabled", "true")
    hub.tljh_config("set", "https.letsencrypt.email", EMAIL)
    hub.tljh_config("add-item", "https.letsencrypt.domains", DOMAIN)
    hub.tljh_config("set", "https.letsencrypt.acme_server", DIRECTORY)
    result = hub.tljh_config("reload", "proxy")
    assert "Getting a certificate for hub.test" in result.stdout and "running with the new config" in result.stdout
    assert pebble.orders_seen() == 1

    https_hub.trust_pebble()
    assert https_hub.api_answers()  # the chain verifies against pebble's root alone
    redirect = requests.get(https_hub.http_url + "hub/login?next=%2Fhub%2F", allow_redirects=False, timeout=10)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"https://{DOMAIN}/hub/login?next=%2Fhub%2F"

    status = hub.sh("tljh-lite https status")
    assert f"Domains:        {DOMAIN}" in status.stdout
    assert "issuer:       CN=Pebble Intermediate CA" in status.stdout
    assert "served now:   yes" in status.stdout
    assert "Renewal timer:  active" in status.stdout
    assert "obtain: ok" in status.stdout


def test_the_key_is_root_only_and_on_no_command_line(https_hub):
    hub = https_hub.hub
    assert hub.sh("stat -c '%U %a' /etc/letsencrypt/archive/tljh-lite/privkey1.pem").stdout.split() == ["root", "600"]
    unit = hub.sh("systemctl cat configurable-http-proxy").stdout
    assert "LoadCredential=tls-key:/etc/letsencrypt/live/tljh-lite/privkey.pem" in unit
    command_line = hub.sh(f"tr '\\0' ' ' < /proc/{proxy_pid(hub)}/cmdline").stdout
    assert "--ssl-key=/run/credentials/configurable-http-proxy.service/tls-key" in command_line
    assert "PRIVATE KEY" not in command_line


def test_a_second_reload_asks_the_acme_server_for_nothing(https_hub):
    requests_before, served_before = https_hub.pebble.requests_seen(), https_hub.served()
    result = https_hub.hub.tljh_config("reload", "proxy")
    assert "Getting a certificate" not in result.stdout
    assert https_hub.pebble.requests_seen() == requests_before
    assert https_hub.served() == served_before


def test_a_student_logs_in_starts_a_server_and_runs_code_over_https_and_wss(https_hub):
    carol = https_hub.client()
    assert carol.login(STUDENT, STUDENT_PASSWORD)
    carol.start_server()
    carol.open_server()  # a browser's way in: the server's own _xsrf cookie
    assert carol.run_code("6 * 7") == "42"  # through wss://, verified against pebble's root
    cookies = {(cookie.name, cookie.path): cookie.secure for cookie in carol.session.cookies}
    assert ("jupyterhub-user-carol", "/user/carol/") in cookies and ("_xsrf", "/user/carol/") in cookies, cookies
    assert all(cookies.values()), f"cookies without Secure over https: {cookies}"


def test_the_browser_runs_a_cell_over_https(https_hub, release):
    from browser import run_a_cell_in_chromium

    admin = https_hub.client()
    assert admin.login(ADMIN, ADMIN_PASSWORD)
    run_a_cell_in_chromium(
        admin, https_hub.https_url, f"https-{release}", trust=https_hub.trust,
        host_rules=f"MAP {DOMAIN} 127.0.0.1",
    )


OTHER_CA = TestCA("a university CA")


def _own_files(hub: InstalledHub, name: str, key: str, cert: str) -> tuple[str, str]:
    hub.sh(f"mkdir -p -m 700 {OWN_DIR}")
    hub.container.write_file(f"{OWN_DIR}/{name}.key", key, mode=0o600)
    hub.container.write_file(f"{OWN_DIR}/{name}.crt", cert)
    return f"{OWN_DIR}/{name}.key", f"{OWN_DIR}/{name}.crt"


def _bad_own(hub: InstalledHub, case: str) -> tuple[str, str]:
    good = OTHER_CA.issue(DOMAIN)
    if case == "missing file":
        return f"{OWN_DIR}/missing.key", f"{OWN_DIR}/missing.crt"
    if case == "not PEM":
        return _own_files(hub, case.replace(" ", "-"), good.key_pem, "this is not a certificate\n")
    if case == "key and certificate do not match":
        return _own_files(hub, "mismatch", OTHER_CA.issue(DOMAIN).key_pem, good.cert_pem)
    if case == "encrypted key":
        return _own_files(hub, "encrypted", key_pem(good.key, b"passphrase"), good.cert_pem)
    if case == "expired certificate":
        old = OTHER_CA.issue(DOMAIN, days=(-100, -10))
        return _own_files(hub, "expired", old.key_pem, old.cert_pem)
    if case == "certificate not for the domain":
        other = OTHER_CA.issue("other.example")
        return _own_files(hub, "other", other.key_pem, other.cert_pem)
    raise ValueError(case)


ACME_FAILURES = {
    "ACME server unreachable": (("set", "https.letsencrypt.acme_server", "https://pebble.test:14999/dir"),
                                "cannot reach the ACME server https://pebble.test:14999/dir"),
    "domain does not resolve": (("add-item", "https.letsencrypt.domains", "nowhere.test"),
                                "nowhere.test does not resolve"),
    "port 80 not reachable": (("add-item", "https.letsencrypt.domains", ELSEWHERE),
                              f"could not reach port 80 of {ELSEWHERE}"),
}
OWN_FAILURES = {
    "missing file": "does not exist",
    "not PEM": "is not a PEM certificate",
    "key and certificate do not match": "does not belong to the certificate",
    "encrypted key": "protected by a passphrase",
    "expired certificate": "expired on",
    "certificate not for the domain": f"is not for {DOMAIN}",
}


@pytest.mark.parametrize("case", [*ACME_FAILURES, *OWN_FAILURES])
def test_a_failed_reload_proxy_says_why_and_the_hub_keeps_serving(https_hub, case):
    hub = https_hub.hub
    pid, served = proxy_pid(hub), https_hub.served()
    if case in ACME_FAILURES:
        edit, phrase = ACME_FAILURES[case]
        hub.tljh_config(*edit)
        undo = ("set", edit[1], DIRECTORY) if edit[0] == "set" else ("remove-item", *edit[1:])
    else:
        key, cert = _bad_own(hub, case)
        hub.tljh_config("set", "https.tls.key", key)
        hub.tljh_config("set", "https.tls.cert", cert)
        phrase = OWN_FAILURES[case]
    try:
        result = hub.tljh_config("reload", "proxy", check=False)
        fails_cleanly(result, phrase)
        assert "nothing changed" in result.stderr
        assert proxy_pid(hub) == pid  # not even restarted
        assert https_hub.served() == served and https_hub.api_answers()
    finally:
        if case in ACME_FAILURES:
            hub.tljh_config(*undo)
        else:
            hub.tljh_config("unset", "https.tls")


def test_an_own_certificate_with_a_root_only_key_is_served(https_hub):
    hub = https_hub.hub
    requests_before = https_hub.pebble.requests_seen()
    own = OTHER_CA.issue(DOMAIN)
    key, cert = _own_files(hub, "university", own.key_pem, own.cert_pem)
    hub.tljh_config("set", "https.tls.key", key)
    hub.tljh_config("set", "https.tls.cert", cert)
    try:
        hub.tljh_config("reload", "proxy")
        assert hub.sh(f"stat -c '%U %a' {key}").stdout.split() == ["root", "600"]
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as trust:
            trust.write(OTHER_CA.cert_pem)
            trust.flush()
            assert requests.get(https_hub.https_url + "hub/api", verify=trust.name, timeout=10).status_code == 200
        # A student's account reads neither the key nor the proxy's copy of it.
        for path in (key, "/run/credentials/configurable-http-proxy.service/tls-key"):
            denied = hub.sh(f"runuser -u jupyter-{STUDENT} -- cat {path}", check=False)
            assert denied.exit_code != 0 and "Permission denied" in denied.stderr, denied
    finally:
        hub.tljh_config("unset", "https.tls")
        hub.tljh_config("reload", "proxy")
    # Back to the ACME certificate it had: the ACME server is not asked again.
    assert https_hub.api_answers()
    assert https_hub.pebble.requests_seen() == requests_before


def _answers_within(client: HubClient, seconds: float) -> float:
    start = time.monotonic()
    while True:
        try:
            assert client.run_code("1 + 1", timeout=5) == "2"
            return time.monotonic() - start
        except Exception:
            if time.monotonic() - start > seconds:
                raise
            time.sleep(0.2)


def test_the_timer_renews_and_the_new_certificate_is_served_by_itself(https_hub):
    hub, pebble = https_hub.hub, https_hub.pebble
    carol = https_hub.client()
    assert carol.login(STUDENT, STUDENT_PASSWORD)
    carol.start_server()
    assert hub.sh("systemctl is-active tljh-https-renew.timer").stdout.strip() == "active"
    assert "00,12:00:00" in hub.unit_property("tljh-https-renew.timer", "TimersCalendar")

    served_before, orders_before = https_hub.served(), pebble.orders_seen()
    hub_pid = hub.unit_property("jupyterhub", "MainPID")
    # Make the certificate due (pebble's are valid 5 years), with certbot's own setting
    # (a top-level one: before the file's first [section]).
    hub.sh(f"sed -i '1i renew_before_expiry = 2000 days' {LINEAGE_CONF}")
    try:
        hub.sh("systemctl start tljh-https-renew.service")  # what the timer starts
        restarted = time.monotonic()
        waited = _answers_within(carol, 10)  # her running server, through the restarted proxy
        assert time.monotonic() - restarted < 10, waited
    finally:
        hub.sh(f"sed -i '/^renew_before_expiry/d' {LINEAGE_CONF}")
    assert pebble.orders_seen() == orders_before + 1
    assert https_hub.served() != served_before
    assert https_hub.api_answers()
    assert hub.unit_property("jupyterhub", "MainPID") == hub_pid  # the hub itself was not restarted
    assert "renew: ok: the proxy now serves the new certificate" in hub.sh("tljh-lite https status").stdout


def test_after_a_proxy_crash_a_running_server_answers_again_without_the_hub(https_hub):
    hub = https_hub.hub
    carol = https_hub.client()
    assert carol.login(STUDENT, STUDENT_PASSWORD)
    carol.start_server()
    hub_pid = hub.unit_property("jupyterhub", "MainPID")
    hub.sh(f"kill -9 {proxy_pid(hub)}")
    # The routes come back with the proxy's restart (proxysync), not from the hub's route check
    # every 5 minutes: well within a minute even on a loaded machine (seconds on an idle one:
    # bench/servers.py measures speed, not this test; 14 s was seen at load 60).
    assert _answers_within(carol, 60) < 60
    assert hub.unit_property("jupyterhub", "MainPID") == hub_pid


def test_running_bootstrap_again_keeps_https_and_asks_the_acme_server_nothing(https_hub):
    hub = https_hub.hub
    requests_before, served_before, pid = https_hub.pebble.requests_seen(), https_hub.served(), proxy_pid(hub)
    result, _ = hub.bootstrap()
    assert "Installation successful" in result.stdout and "https://hub.test/" in result.stdout
    assert https_hub.pebble.requests_seen() == requests_before
    assert https_hub.served() == served_before and proxy_pid(hub) == pid
    assert https_hub.api_answers()


def test_turning_https_off_serves_plain_http_again(https_hub):
    hub = https_hub.hub
    hub.tljh_config("set", "https.enabled", "false")
    hub.tljh_config("reload", "proxy")
    assert requests.get(https_hub.http_url + "hub/api", timeout=10).status_code == 200
    for unit in ("tljh-https-renew.timer", "tljh-http.service"):  # the responder runs with HTTPS only
        assert hub.sh(f"systemctl is-active {unit}", check=False).stdout.strip() == "inactive"
    assert "HTTPS:          off" in hub.sh("tljh-lite https status").stdout
