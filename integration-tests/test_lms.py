"""Students arrive from the school's LMS: LTI 1.3 launches from a stand-in LMS (lms_platform.py,
a platform of its own in a container, signing with its own key, serving its keyset over HTTPS)
into the session's plugin hub, switched to LTI and HTTPS with the `tljh-config` lines of
docs/lms.md and registered in the LMS with what `tljh-lite lti info` printed.

An instructor and two learners launch from "course A" (one in Chromium, two as HTTP) and land
in their own servers; the test plugin's tljh_lite_lms_launch gets each one's role and course and
puts her in the course's group; the courses plugin's puts her into the nbgrader course data101
(the session's, course_hub.py), which the professor mapped course A onto: the instructor and the
TA open its formgrader, a learner may not and sees its assignments; an assignment link opens the notebook the plugin names; a link
whose URL is an nbgitpuller link lands there; forged, expired, replayed, wrong-audience and
wrong-issuer launches, a role the professor did not allow and a plugin's refusal leave nothing
behind; the hub's login form logs nobody in; a launch inside the LMS's page (an iframe) works in
Chromium. Afterwards the hub is as it was (auth_switch.config_restored).
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import pytest
import requests

from auth_switch import config_restored
from containers import ContainerFactory, Network
from course_hub import formgrader, server_api, wait_for_formgrader
from hubclient import HubClient
from installed import ADMIN, InstalledHub
from lms_platform import (
    CLIENT_ID, INSTRUCTOR, LEARNER, MENTOR, NAME as LMS_NAME, TEACHING_ASSISTANT, LaunchingBrowser, Site, StandInLms,
)
from testca import TestCA

HUB_NAME = "hub.test"
UPSTREAM = "ltiauthenticator.lti13.auth.LTI13Authenticator"
BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CERT_DIR = "/etc/tljh-test-lti"
MARKERS = "/opt/tljh/test-plugin"
GROUPS = ["course-a-instructors", "course-a-graders", "course-a-students"]
PUZZLE_REPO = "https://git.school.test/course-b/labs"  # nothing is fetched: where she lands is the test
# Hub name = LMS login (username_key custom_username); the sub is the LMS's user id.
PEOPLE = {"ivy": "101", "lea": "102", "leo": "103", "tia": "104", "gus": "105", "mo": "106", "cy": "107",
          "rex": "108", "fay": "109", "eve": "110", "max": "111"}


@pytest.fixture(scope="module", autouse=True)
def test_names_resolve_to_this_machine():
    """hub.test and lms.test mean 127.0.0.1 here (their ports are published there), so clients use
    the real names: SNI, certificate checks and cookies as in a browser."""
    original = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return original("127.0.0.1" if host in (HUB_NAME, LMS_NAME) else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    yield
    socket.getaddrinfo = original


def site(hub_url: str) -> Site:
    s = Site()
    for login, sub in PEOPLE.items():
        s.person(login, sub)
    s.courses = {
        "A": {"title": "course A", "label": "A101", "roles": {
            "ivy": [INSTRUCTOR], "lea": [LEARNER], "leo": [LEARNER], "tia": [INSTRUCTOR, TEACHING_ASSISTANT],
            "mo": [MENTOR], "rex": [LEARNER], "fay": [LEARNER], "eve": [LEARNER], "max": [LEARNER]}},
        "B": {"title": "course B", "label": "B202", "roles": {"gus": [LEARNER]}},
        "C": {"title": "closed course", "label": "C303", "roles": {"cy": [LEARNER]}},
    }
    puller = f"{hub_url}hub/user-redirect/git-pull?repo={quote(PUZZLE_REPO, safe='')}&urlpath=lab%2Ftree%2Flabs"
    s.links = {
        "a-home": {"course": "A", "title": "JupyterHub"},
        "a-week1": {"course": "A", "title": "Week 1", "custom": {"assignment": "week1.ipynb"}},
        "b-lab2": {"course": "B", "title": "Lab 2", "target_link_uri": puller},
        "c-home": {"course": "C", "title": "JupyterHub"},
    }
    return s


@dataclass
class Lti:
    hub: InstalledHub
    lms: StandInLms
    hub_url: str  # as students reach it: https://hub.test:PORT/
    trust: Path  # the tests' CA: the hub's and the LMS's certificates
    info: str  # what `tljh-lite lti info` printed
    admin_token: str  # the installed admin's API token (with LTI, nobody logs in through the form)
    hub_pid: str  # the hub's process once switched to LTI: launches restart nothing

    def browser(self) -> LaunchingBrowser:
        return LaunchingBrowser(str(self.trust))

    def api(self, path: str) -> requests.Response:
        """GET the hub's REST API as the admin."""
        return requests.get(f"{self.hub_url}hub/api/{path}", headers={"Authorization": f"token {self.admin_token}"},
                            verify=str(self.trust), timeout=30)

    def client(self, browser: LaunchingBrowser, name: str) -> HubClient:
        """The hub's API and her server with the browser's cookies."""
        client = HubClient(self.hub_url, ca_bundle=str(self.trust))
        client.session = browser.session
        client.username = name
        return client


def lti_lines(hub_url: str, lms: StandInLms, key: str, cert: str) -> list[list[str]]:
    """docs/lms.md's steps, with the stand-in LMS's platform details, and HTTPS with our own certificate."""
    section = "auth.LTI13Authenticator"
    return [
        ["set", f"{section}.issuer", lms.issuer],
        ["set", f"{section}.client_id", CLIENT_ID],
        ["set", f"{section}.authorize_url", lms.authorize_url],
        ["set", f"{section}.jwks_endpoint", lms.jwks_url],
        ["set", f"{section}.username_key", "custom_username"],
        ["set", "auth.type", UPSTREAM],
        ["set", "https.enabled", "true"],
        ["set", "https.tls.key", key],
        ["set", "https.tls.cert", cert],
    ]


@pytest.fixture(scope="module")
def lti(plugin_hub: InstalledHub, courses, session_containers: ContainerFactory, tmp_path_factory):
    hub = plugin_hub
    ca = TestCA("tljh-lite test CA for the LMS and the hub")
    trust = tmp_path_factory.mktemp("lti") / "ca.pem"
    trust.write_text(ca.cert_pem)
    hub_url = f"https://{HUB_NAME}:{hub.container.host_ports[443]}/"
    network = Network()
    lms = StandInLms(session_containers, network, ca, site(hub_url))
    bundle = hub.sh(f"cat {BUNDLE}").stdout
    try:
        network.connect(hub.container)
        # The hub trusts the LMS's certificate. Appended to the bundle, not through update-ca-certificates:
        # that would rebuild the bundle without this test machine's proxy CA, which the container's copy carries.
        hub.container.write_file(BUNDLE, bundle + ca.cert_pem)
        served = ca.issue(HUB_NAME)
        hub.sh(f"mkdir -p -m 700 {CERT_DIR}")
        hub.container.write_file(f"{CERT_DIR}/hub.key", served.key_pem, mode=0o600)
        hub.container.write_file(f"{CERT_DIR}/hub.crt", served.cert_pem)
        admin = hub.admin()
        made = admin.session.post(admin.url(f"hub/api/users/{ADMIN}/tokens"), json={"expires_in": 3600, "note": "test_lms"},
                                  headers={"X-XSRFToken": admin._xsrf("/hub/")}, timeout=30)
        assert made.status_code == 201, made.text
        with config_restored(hub, people=list(PEOPLE), groups=GROUPS, proxy=True):
            for line in lti_lines(hub_url, lms, f"{CERT_DIR}/hub.key", f"{CERT_DIR}/hub.crt"):
                hub.tljh_config(*line)
            hub.tljh_config("add-item", "courses.data101.lms_contexts", "A")  # docs/lms.md: course A is data101
            hub.tljh_config("reload", "proxy")
            hub.tljh_config("reload")
            info = hub.sh(["tljh-lite", "lti", "info", "--url", hub_url]).stdout
            urls = dict(re.findall(r"^  (Login initiation URL|Redirect URI|Target link URI)[^:]*:\s+(\S+)$", info, re.M))
            lms.register_tool(urls["Login initiation URL"], urls["Redirect URI"], urls["Target link URI"],
                              verify=str(trust))
            yield Lti(hub, lms, hub_url, trust, info, made.json()["token"], hub.unit_property("jupyterhub", "MainPID"))
    finally:
        hub.container.write_file(BUNDLE, bundle)
        hub.sh(f"rm -rf {CERT_DIR} {MARKERS}/lms-launch-*.json")
        network.disconnect(hub.container)
        lms.container.remove()
        network.remove()


def landed(lti: Lti, browser: LaunchingBrowser, response: requests.Response, timeout: float = 180) -> requests.Response:
    """Where she ends up: a server still starting shows the hub's pending page, whose script
    follows the spawn's progress and then goes to `next`; do the same."""
    if "/hub/spawn-pending/" not in response.url:
        return response
    name = urlsplit(response.url).path.split("/hub/spawn-pending/")[1].split("/")[0]
    lti.client(browser, name)._follow_progress(timeout)
    target = parse_qs(urlsplit(response.url).query).get("next", [f"/user/{name}/"])[0]
    return browser.session.get(urljoin(response.url, target), timeout=60)


def launch(lti: Lti, link: str, user: str, mode: str = "") -> tuple[LaunchingBrowser, requests.Response]:
    browser = lti.browser()
    return browser, landed(lti, browser, browser.open(lti.lms.link(link, user, mode)))


def recorded(lti: Lti, name: str) -> dict | None:
    """What the test plugin's tljh_lite_lms_launch was given for her, None if it was not called."""
    found = lti.hub.sh(f"cat {MARKERS}/lms-launch-{name}.json", check=False)
    return json.loads(found.stdout) if found.exit_code == 0 else None


def members(lti: Lti, group: str) -> set[str]:
    response = lti.api(f"groups/{group}")
    return set(response.json()["users"]) if response.status_code == 200 else set()


@contextmanager
def chromium(lti: Lti):
    """Debian's Chromium trusting the tests' CA, with hub.test and lms.test on this machine.
    As it comes: it denies a framed third party its cookies and its storage."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM, CHROMIUM_ARGS, trusting_profile

    rules = f"MAP {HUB_NAME} 127.0.0.1, MAP {LMS_NAME} 127.0.0.1"
    with tempfile.TemporaryDirectory() as home, sync_playwright() as p:
        trusting_profile(Path(home), lti.trust)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"],
                                    env={**os.environ, "HOME": home})
        try:
            yield browser.new_context(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def test_lti_info_printed_what_the_lms_was_registered_with(lti):
    assert f"  Login initiation URL (OpenID Connect):  {lti.hub_url}hub/lti13/oauth_login\n" in lti.info
    assert f"  Redirect URI (launch URL):              {lti.hub_url}hub/lti13/oauth_callback\n" in lti.info
    assert f"  auth.LTI13Authenticator.issuer         {lti.lms.issuer}\n" in lti.info
    assert "Needs you" not in lti.info


def test_an_instructor_and_two_learners_launch_from_course_a_into_their_servers(lti, release):
    ivy, ivy_page = launch(lti, "a-home", "ivy")
    lea, lea_page = launch(lti, "a-home", "lea")
    for name, page in (("ivy", ivy_page), ("lea", lea_page)):
        assert page.status_code == 200 and page.url.startswith(f"{lti.hub_url}user/{name}/lab"), page.url
    assert lti.client(lea, "lea").run_code("import getpass; print(getpass.getuser())") == "jupyter-lea"

    from browser import ARTIFACTS

    with chromium(lti) as context:  # the third in a real browser: the link opens a new tab
        page = context.new_page()
        page.goto(lti.lms.link("a-home", "leo"))
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.wait_for_url(f"{lti.hub_url}user/leo/lab**", timeout=180_000)
            page.wait_for_selector(".jp-Launcher", timeout=180_000)  # JupyterLab loaded, not its splash
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"lti-new-tab-{release}-failed.png"))
            raise
        page.screenshot(path=str(ARTIFACTS / f"lti-new-tab-{release}.png"))

    for name, role in (("ivy", "instructor"), ("lea", "student"), ("leo", "student")):
        seen = recorded(lti, name)
        assert seen["roles"] == [role], (name, seen)
        context = seen["context"]
        assert (context["context_id"], context["context_title"], context["context_label"]) == ("A", "course A", "A101")
        assert context["issuer"] == lti.lms.issuer and context["client_id"] == CLIENT_ID
        assert context["resource_link_id"] == "a-home" and context["lms_roles"] == [
            {"instructor": INSTRUCTOR, "student": LEARNER}[role]]
    assert members(lti, "course-a-instructors") == {"ivy"}
    assert members(lti, "course-a-students") == {"lea", "leo"}
    users = {user["name"]: user for user in lti.api("users").json()}
    assert not users["ivy"]["admin"] and not users["lea"]["admin"]


def test_launched_from_course_a_the_instructor_opens_its_formgrader_and_a_learner_sees_its_assignments(lti):
    """Course A maps onto data101: her first launch made each a member with her role, no roster, no reload."""
    ivy, _ = launch(lti, "a-home", "ivy")
    lea, _ = launch(lti, "a-home", "lea")
    ivy, lea = lti.client(ivy, "ivy"), lti.client(lea, "lea")
    assert wait_for_formgrader(ivy, "data101") == 200
    assert "Manage Assignments" in formgrader(ivy, "data101").text
    assert formgrader(lea, "data101").status_code == 403
    assert formgrader(ivy, "data102").status_code in (403, 404)  # course A is not data102 (gone once test_courses ran)
    assert "ivy" in lti.hub.tljh_config("get", "courses.data101.instructors").stdout  # in config.yaml: it lasts
    assert "lea" in lti.hub.tljh_config("get", "groups.data101.users").stdout
    assert lti.hub.unit_property("jupyterhub", "MainPID") == lti.hub_pid  # no reload for any of it
    released = sorted(lti.hub.sh("ls /srv/nbgrader/exchange/data101/outbound", check=False).stdout.split())
    assert server_api(lea, "GET", "courses").json()["value"] == ["data101"]
    listed = server_api(lea, "GET", "assignments", params={"course_id": "data101"}).json()["value"]
    assert sorted(a["assignment_id"] for a in listed if a["status"] == "released") == released


def test_a_teaching_assistant_is_a_grader_of_the_course(lti):
    tia, page = launch(lti, "a-home", "tia")
    assert page.url.startswith(f"{lti.hub_url}user/tia/lab"), page.url
    assert recorded(lti, "tia")["roles"] == ["grader"]
    assert members(lti, "course-a-graders") == {"tia"}
    assert members(lti, "formgrade-data101") >= {"ivy", "tia"}  # the courses plugin: a grader of data101
    assert wait_for_formgrader(lti.client(tia, "tia"), "data101") == 200


def test_an_assignment_link_opens_the_notebook_the_plugin_names(lti):
    _, page = launch(lti, "a-week1", "lea")
    assert page.status_code == 200 and page.url == f"{lti.hub_url}user/lea/lab/tree/week1.ipynb", page.url
    assert recorded(lti, "lea")["context"]["custom"] == {"assignment": "week1.ipynb", "username": "lea"}


def test_a_link_whose_url_is_an_nbgitpuller_link_lands_there(lti):
    """Course B has no say from the plugin: the link's own URL (its target link, signed by the LMS) decides."""
    _, page = launch(lti, "b-lab2", "gus")
    assert recorded(lti, "gus")["roles"] == ["student"]
    assert page.url.startswith(f"{lti.hub_url}user/gus/git-pull?repo={quote(PUZZLE_REPO, safe='')}"), page.url
    assert page.status_code == 200


REFUSALS = {
    # case: (who, link, mode, status, words on her page, did the plugin hear of her)
    "forged": ("rex", "a-home", "forged", 400, "the launch's signature does not match the LMS's keys", False),
    "expired": ("fay", "a-home", "expired", 400, "the launch expired at", False),
    "another tool": ("eve", "a-home", "wrong-aud", 401, "the launch is for another tool (client id 'another-tool'", False),
    "another LMS": ("max", "a-home", "wrong-iss", 400, "the launch comes from another LMS (issuer 'https://other-lms.test'",
                    False),
    "role not allowed": ("mo", "a-home", "", 403, "your role in this course (Mentor) may not use this hub", False),
    "plugin says no": ("cy", "c-home", "", 403, "closed course is closed; ask your teacher", True),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_launch_says_why_and_leaves_nothing_behind(lti, case):
    who, link, mode, status, words, heard = REFUSALS[case]
    browser, page = launch(lti, link, who, mode)
    assert page.status_code == status and words in page.text.replace("&#39;", "'"), (page.status_code, page.text[-800:])
    assert lti.client(browser, who).whoami() is None  # not logged in
    assert lti.api(f"users/{who}").status_code == 404  # no hub user
    assert lti.hub.sh(f"id jupyter-{who}", check=False).exit_code != 0  # no unix account
    assert (recorded(lti, who) is not None) == heard
    journal = lti.hub.sh("journalctl -u jupyterhub --since -5min --no-pager").stdout
    assert "LTI launch refused" in journal


def test_a_launch_posted_again_is_refused(lti):
    """Whoever captured the LMS's post and the cookies that went with it cannot use it again."""
    first, page = launch(lti, "a-home", "ivy")
    assert page.url.startswith(f"{lti.hub_url}user/ivy/")
    action, form = first.posted_launch
    replay = lti.browser()
    replay.session.cookies = first.cookies_then
    again = replay.session.post(action, data=form, allow_redirects=False, timeout=60)
    assert again.status_code == 400 and "this launch was used already" in again.text, again.text[-500:]
    assert lti.client(replay, "ivy").whoami() is None


def test_the_hubs_login_form_logs_nobody_in(lti):
    """ltiauthenticator 1.6.3 takes the name from whatever the form posts (email=prof: an admin, root)."""
    client = HubClient(lti.hub_url, ca_bundle=str(lti.trust))
    form = client.get("hub/login")
    assert "Sign in with your course page in the LMS" in form.text
    xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', form.text) or re.search(r'xsrf_token: "([^"]+)"', form.text)
    for field in ("email", "sub", "username"):
        refused = client.session.post(client.url("hub/login"), data={field: "prof", "_xsrf": xsrf.group(1)}, timeout=30)
        # JupyterHub shows its login page again: its one button says where to log in.
        assert refused.status_code == 403 and "Sign in with your course page in the LMS" in refused.text, field
        assert client.whoami() is None, field
    journal = lti.hub.sh("journalctl -u jupyterhub --since -5min --no-pager").stdout
    assert "Refused a login that did not come through an LTI launch (POST /hub/login)" in journal


def test_a_launch_inside_the_lms_page_works_in_chromium(lti, release):
    """The LMS shows the hub in an iframe. Chromium denies a framed third party its storage (and
    JupyterLab needs it), so the frame offers one button, and the launch goes on in a new tab,
    through the LMS again, into her JupyterLab."""
    from browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    with chromium(lti) as context:
        page = context.new_page()
        page.goto(lti.lms.page_with_frame("a-home", "tia"))
        button = page.frame_locator("#contentframe").get_by_role("button", name="Open JupyterHub in a new tab")
        button.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"lti-in-lms-frame-{release}.png"))
        with context.expect_page() as opened:
            button.click()
        tab = opened.value
        try:
            tab.wait_for_url(f"{lti.hub_url}user/tia/lab**", timeout=180_000)
            tab.wait_for_selector(".jp-Launcher", timeout=180_000)  # JupyterLab loaded, not its splash
        except Exception:
            tab.screenshot(path=str(ARTIFACTS / f"lti-from-lms-frame-{release}-failed.png"))
            raise
        tab.screenshot(path=str(ARTIFACTS / f"lti-from-lms-frame-{release}.png"))
        assert page.url.startswith(lti.lms.issuer)  # the LMS's page stays where it was
    assert recorded(lti, "tia")["context"]["context_title"] == "course A"


def test_the_lms_keys_were_fetched_once_for_all_those_launches(lti):
    assert lti.lms.jwks_fetches(str(lti.trust)) == 1


def test_the_hub_serves_its_keyset_and_configuration_for_the_lms(lti):
    keys = requests.get(f"{lti.hub_url}hub/lti13/jwks", verify=str(lti.trust), timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0]
    config = requests.get(f"{lti.hub_url}hub/lti13/config", verify=str(lti.trust), timeout=10).json()
    assert config["public_jwk_url"] == f"{lti.hub_url}hub/lti13/jwks"
    assert config["oidc_initiation_url"] == f"{lti.hub_url}hub/lti13/oauth_login" and config["scopes"] == []
    assert lti.hub.sh("stat -c '%U %a' /opt/tljh/state/lti13-tool-key.pem").stdout.split() == ["root", "600"]


# Run in the hub's environment: each fails once the installed ltiauthenticator fixes what our class does.
UPSTREAM_STILL_NEEDS_US = """
import asyncio, json, sys, urllib.request
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.validator import LTI13LaunchValidator
stats, keyset = sys.argv[1:3]
found = {}
auth = LTI13Authenticator()
found["allow_all"] = auth.allow_all  # JupyterHub 5+ lets nobody in unless it is on
model = asyncio.run(auth.authenticate(None, {"email": "prof"}))  # what the hub's login form posts
found["form_logs_in_as"] = model and model.get("name")
auth.username_key = "email"
found["missing_claim_gives"] = auth.get_username({"sub": "42"})
kid = json.load(urllib.request.urlopen(keyset))["keys"][0]["kid"]
token = jwt.encode({"sub": "x"}, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256",
                   headers={"kid": kid})
before = json.load(urllib.request.urlopen(stats))["jwks_fetches"]
for _ in range(2):  # two launches (forged ones: upstream fetches the keys before it checks)
    try:
        LTI13LaunchValidator().verify_and_decode_jwt(token, issuer="x", audience={"x"}, jwks_endpoint=keyset,
                                                     jwks_algorithms=["RS256"])
    except Exception:
        pass
found["fetches_for_two_launches"] = json.load(urllib.request.urlopen(stats))["jwks_fetches"] - before
print(json.dumps(found))
"""


def test_upstream_ltiauthenticator_still_needs_our_class(lti):
    """When this fails, the installed ltiauthenticator fixed one of these: see docs/lms.md ("Why
    tljh-lite runs its own LTI13Authenticator") and shrink tljh_lite/auth/lti/authenticator.py."""
    out = lti.hub.sh(["/opt/tljh/hub/bin/python3", "-c", UPSTREAM_STILL_NEEDS_US, f"{lti.lms.issuer}/admin/stats",
                      lti.lms.jwks_url]).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {
        "allow_all": False,  # every launch refused on JupyterHub 5+: hub.settings turns allow_all on
        "form_logs_in_as": "prof",  # anyone logs in as anyone: our authenticate takes only a checked launch
        "missing_claim_gives": "42",  # a quiet fall back to sub: ours refuses the launch
        "fetches_for_two_launches": 2,  # the keys fetched for every launch: ours are cached
    }
