"""The stand-in LMS (lms/platform.py) in a container of its own, and a browser's way through a launch.

The LMS is `lms.test` on a docker network with the hub, serving HTTPS with a
certificate from a CA of the tests' own, on the same port inside and on the
host's loopback, so one issuer URL (`https://lms.test:PORT`) works for the hub
(fetching the keyset over the network) and for the browsers here (with
`lms.test` pointed at 127.0.0.1). The image is the trixie test image plus
Debian's python3-jwt and python3-cryptography, built once by
`containers.ensure_derived_image`.

`LaunchingBrowser` is a browser as far as a launch goes: it follows redirects
and submits the forms that post themselves (the LMS's login initiation, its
signed launch), and keeps the last launch it posted to the hub, so a test can
post it again.
"""

from __future__ import annotations

import html
import json
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urljoin

import requests

from containers import ContainerFactory, Network, ensure_derived_image
from engine import HarnessError, ensure_image
from testca import TestCA

SOURCE = Path(__file__).resolve().parent / "lms"
BASE_RELEASE = "trixie"
NAME = "lms.test"
CLIENT_ID = "tljh-hub-10000000000042"
DEPLOYMENT_ID = "1"
LOG = "/var/log/lms.log"
USER_AGENT = "tljh-lite-integration-tests"

BUILD = """set -e
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-jwt python3-cryptography
rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
"""

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
INSTRUCTOR, LEARNER, MENTOR = LIS + "membership#Instructor", LIS + "membership#Learner", LIS + "membership#Mentor"
TEACHING_ASSISTANT = LIS + "membership/Instructor#TeachingAssistant"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    """People (by their LMS login), courses with their roles, and links."""

    people: dict[str, dict] = field(default_factory=dict)
    courses: dict[str, dict] = field(default_factory=dict)
    links: dict[str, dict] = field(default_factory=dict)

    def person(self, login: str, sub: str) -> None:
        self.people[login] = {"sub": sub, "login": login, "name": login.title(), "email": f"{login}@school.test"}

    def as_json(self) -> str:
        return json.dumps({"people": self.people, "courses": self.courses, "links": self.links,
                           "client_id": CLIENT_ID, "deployment_id": DEPLOYMENT_ID})


class StandInLms:
    def __init__(self, factory: ContainerFactory, network: Network, ca: TestCA, site: Site):
        image = ensure_derived_image(f"lti-platform-{BASE_RELEASE}", ensure_image(BASE_RELEASE), BUILD,
                                     files={"/srv/lms": SOURCE})
        self.port = free_port()
        self.issuer = f"https://{NAME}:{self.port}"
        self.container = factory.start(image, systemd=False, network=network.name, aliases=[NAME],
                                       port=self.port, host_port=self.port)
        served = ca.issue(NAME)
        self.container.write_file("/srv/lms-tls/cert.pem", served.cert_pem)
        self.container.write_file("/srv/lms-tls/key.pem", served.key_pem, mode=0o600)
        self.container.write_file("/srv/lms-site.json", site.as_json())
        self.container.exec(
            f"setsid nohup python3 /srv/lms/platform.py --site /srv/lms-site.json --issuer {self.issuer} "
            f"--port {self.port} --cert /srv/lms-tls/cert.pem --key /srv/lms-tls/key.pem > {LOG} 2>&1 < /dev/null &")
        self._wait()

    def _wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        url = f"https://localhost:{self.port}/"
        while self.container.exec(["python3", "-c", f"import ssl, urllib.request; urllib.request.urlopen({url!r}, "
                                   "context=ssl._create_unverified_context())"], check=False).exit_code != 0:
            if time.monotonic() > deadline:
                raise HarnessError(f"the stand-in LMS did not start:\n{self.log()}")
            time.sleep(0.2)

    # What a professor copies from the LMS's "Platform details" into config.yaml.
    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}/mod/lti/auth.php"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/mod/lti/certs.php"

    def register_tool(self, login_url: str, redirect_uri: str, target_link_uri: str, verify: str) -> None:
        """The LMS admin's form, filled in with what `tljh-lite lti info` printed."""
        response = requests.put(f"{self.issuer}/admin/tool", verify=verify, timeout=10, json={
            "login_url": login_url, "redirect_uris": [redirect_uri], "target_link_uri": target_link_uri})
        response.raise_for_status()

    def jwks_fetches(self, verify: str) -> int:
        return requests.get(f"{self.issuer}/admin/stats", verify=verify, timeout=10).json()["jwks_fetches"]

    def link(self, link: str, user: str, mode: str = "") -> str:
        """A link in a course page, as `user` clicks it (a new tab: the tool at the top)."""
        return f"{self.issuer}/mod/lti/launch.php?" + urlencode({"id": link, "user": user, "mode": mode})

    def page_with_frame(self, link: str, user: str) -> str:
        """The course page that shows the tool inside it (an iframe), as Moodle and Canvas do."""
        return f"{self.issuer}/mod/lti/view.php?" + urlencode({"id": link, "user": user})

    def log(self) -> str:
        return self.container.exec(["cat", LOG], check=False).stdout


AUTO_FORM = re.compile(r'<form id="autopost" method="post" action="([^"]+)">(.*?)</form>', re.S)
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class LaunchingBrowser:
    """requests, submitting the pages that post themselves; trusts only the tests' CA."""

    def __init__(self, ca_file: str):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.verify = ca_file
        self.session.trust_env = False
        self.posted_launch: tuple[str, dict] | None = None  # (the hub's redirect URI, the signed form)
        self.cookies_then: requests.cookies.RequestsCookieJar | None = None  # the cookies sent with it

    def open(self, url: str, timeout: float = 120) -> requests.Response:
        """Open a URL and go wherever the pages send her; the last response."""
        response = self.session.get(url, timeout=timeout)
        for _ in range(10):
            form = AUTO_FORM.search(response.text) if "text/html" in response.headers.get("Content-Type", "") else None
            if not form:
                return response
            action = urljoin(response.url, html.unescape(form.group(1)))
            fields = {html.unescape(k): html.unescape(v) for k, v in FIELD.findall(form.group(2))}
            if "id_token" in fields:
                self.posted_launch, self.cookies_then = (action, fields), self.session.cookies.copy()
            response = self.session.post(action, data=fields, timeout=timeout)
        raise AssertionError(f"still posting forms after 10 pages, at {response.url}")
