"""Let's Encrypt's test ACME server, pebble (Debian's package), in a container
of its own on a docker network with the hub, so it validates http-01
challenges over the network against the hub's port 80, by name, as Let's
Encrypt does on the internet. Real validation: PEBBLE_VA_ALWAYS_VALID is
never set.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from containers import ContainerFactory, Network
from engine import HarnessError
from testca import TestCA

PEBBLE_BINARY = Path("/usr/bin/pebble")  # installed on the host by run-all.sh (package pebble)
NAME = "pebble.test"
# Another name for the pebble container: it resolves, but nothing answers its
# port 80, as a domain pointing at the wrong machine or behind a closed firewall.
ELSEWHERE = "elsewhere.test"
DIRECTORY = f"https://{NAME}:14000/dir"
LOG = "/var/log/pebble.log"
ENVIRONMENT = {
    "PEBBLE_VA_NOSLEEP": "1",  # no random 0-15 s delay before each validation
    "PEBBLE_WFE_NONCEREJECT": "0",  # no deliberately rejected nonces (certbot retries, but slowly)
    "PEBBLE_AUTHZREUSE": "0",  # every order validates again: renewals prove port 80 too
}


class Pebble:
    def __init__(self, factory: ContainerFactory, image: str, network: Network):
        # The listener's certificate comes from a CA of the tests' own, which the
        # hub trusts through its system store (as a campus CA would be).
        self.listener_ca = TestCA("tljh-lite test ACME listener CA")
        listener = self.listener_ca.issue(NAME, "localhost")
        self.container = factory.start(image, systemd=False, network=network.name, aliases=[NAME, ELSEWHERE])
        self.container.copy_in(PEBBLE_BINARY, "/usr/local/bin/pebble")
        self.container.write_file("/etc/pebble/cert.pem", listener.cert_pem)
        self.container.write_file("/etc/pebble/key.pem", listener.key_pem, mode=0o600)
        self.container.write_file("/etc/pebble/config.json", json.dumps({"pebble": {
            "listenAddress": "0.0.0.0:14000",
            "managementListenAddress": "0.0.0.0:15000",
            "certificate": "/etc/pebble/cert.pem",
            "privateKey": "/etc/pebble/key.pem",
            "httpPort": 80,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}))
        env = " ".join(f"{k}={v}" for k, v in ENVIRONMENT.items())
        self.container.exec(f"{env} setsid nohup /usr/local/bin/pebble -config /etc/pebble/config.json "
                            f"> {LOG} 2>&1 < /dev/null &")
        self._wait()

    def _wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.container.exec("curl -sfk https://localhost:14000/dir", check=False).exit_code != 0:
            if time.monotonic() > deadline:
                raise HarnessError(f"pebble did not start:\n{self.log()}")
            time.sleep(0.2)

    def root_pem(self) -> str:
        """The root of the certificates pebble issues (made anew at every pebble start)."""
        return self.container.exec("curl -sfk https://localhost:15000/roots/0").stdout

    def log(self) -> str:
        return self.container.read_file(LOG)

    def requests_seen(self) -> int:
        """How many ACME requests pebble has answered so far."""
        return sum(" -> calling handler()" in line for line in self.log().splitlines())

    def orders_seen(self) -> int:
        return self.log().count("POST /order-plz")
