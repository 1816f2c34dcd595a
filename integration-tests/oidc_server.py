"""A real OpenID Connect provider for the hub to log people in with, as a campus
single sign-on: the npm package oidc-provider (a certified implementation) in
a small node server of ours (oidc/server.js), in a container on a docker
network with the hub.

Its issuer is the container's address on that network, which both the hub
(token and userinfo requests) and this test process, the browser (authorize
redirects, login and consent forms), reach. The image (Debian's nodejs and
npm, then `npm ci` of oidc/package-lock.json) is built once and cached by
`containers.ensure_derived_image`; it is based on the trixie test image, whose
node (20) the package needs, whichever release the hub runs.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from containers import ContainerFactory, Network
from containers import ensure_derived_image
from engine import HarnessError, ensure_image

SOURCE = Path(__file__).resolve().parent / "oidc"
BASE_RELEASE = "trixie"
PORT = 3000
CLIENT_ID = "tljh-hub"
LOG = "/var/log/oidc-provider.log"
# The people in oidc/server.js: Olga is in the students group, Omar only in staff.
PASSWORDS = {"olga": "olga-sso-password", "omar": "omar-sso-password"}

BUILD = """set -e
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
cd /srv/oidc && npm ci --omit=dev --no-audit --no-fund
rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /root/.npm
"""


class OidcProvider:
    def __init__(self, factory: ContainerFactory, network: Network, redirect_uri: str):
        image = ensure_derived_image(f"oidc-provider-{BASE_RELEASE}", ensure_image(BASE_RELEASE), BUILD,
                                             files={"/srv/oidc": SOURCE})
        self.client_secret = secrets.token_hex(24)  # a secret starting with "-" needs `tljh-config set KEY -- VALUE`
        self.container = factory.start(image, systemd=False, network=network.name)
        self.issuer = f"http://{network.address_of(self.container)}:{PORT}"
        env = {"ISSUER": self.issuer, "PORT": str(PORT), "CLIENT_SECRET": self.client_secret,
               "REDIRECT_URI": redirect_uri}
        self.container.exec(f"cd /srv/oidc && setsid nohup node server.js > {LOG} 2>&1 < /dev/null &", env=env)
        self._wait()

    def _wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{PORT}/.well-known/openid-configuration"
        while self.container.exec(["curl", "-sf", "-o", "/dev/null", url], check=False).exit_code != 0:
            if time.monotonic() > deadline:
                raise HarnessError(f"oidc-provider did not start:\n{self.log()}")
            time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"{self.issuer}/{path.lstrip('/')}"

    def log(self) -> str:
        return self.container.exec(["cat", LOG], check=False).stdout
