"""A student's or professor's browser, as HTTP: log in through the form, start a
server, and run code in a real kernel through the Jupyter REST and websocket APIs.

Used from the host against a container's port published on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import ssl
import time
import uuid
from urllib.parse import urlparse

import requests
import websocket

USER_AGENT = "tljh-lite-integration-tests"  # constant: JupyterHub ties the anonymous xsrf token to it


class HubError(AssertionError):
    pass


class HubClient:
    def __init__(self, base_url: str, ca_bundle: str | None = None):
        """`ca_bundle`: the only CA to trust over https (e.g. the test ACME server's root)."""
        self.base_url = base_url.rstrip("/") + "/"
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.ca_bundle = ca_bundle
        if ca_bundle:
            self.session.verify = ca_bundle
            self.session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins over verify
        self.username: str | None = None

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.url(path), timeout=kwargs.pop("timeout", 30), **kwargs)

    def api_version(self) -> str:
        response = self.get("hub/api")
        response.raise_for_status()
        return response.json()["version"]

    def login(self, username: str, password: str) -> bool:
        """Submit the real login form; True if the hub let us in."""
        form = self.get("hub/login")
        form.raise_for_status()
        match = re.search(r'name="_xsrf"\s+value="([^"]+)"', form.text)
        data = {"username": username, "password": password}
        if match:
            data["_xsrf"] = match.group(1)
        response = self.session.post(self.url("hub/login"), data=data, allow_redirects=False, timeout=30)
        ok = response.status_code == 302 and "jupyterhub-session-id" in self.session.cookies
        if ok:
            self.username = username
            self.get("hub/home")  # refreshes the _xsrf cookie for the new session
        return ok

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        """Fill in and submit the form of the page at `path` (with its _xsrf token), as a browser would."""
        form = self.get(path)
        form.raise_for_status()
        match = re.search(r'name="_xsrf"\s+value="([^"]+)"', form.text)
        response = self.session.post(self.url(path), data={**data, "_xsrf": match.group(1) if match else ""},
                                     timeout=30)
        response.raise_for_status()
        return response

    def whoami(self) -> str | None:
        """The hub user our cookie logs in as (None when it logs in nobody); remembered for start_server."""
        response = self.get("hub/api/user")
        self.username = response.json()["name"] if response.status_code == 200 else None
        return self.username

    def _xsrf(self, path: str) -> str:
        for cookie in self.session.cookies:
            if cookie.name == "_xsrf" and path.startswith(cookie.path):
                return cookie.value
        return ""

    def start_server(self, timeout: float = 120) -> None:
        """Ask the hub for our server and wait until it is ready."""
        name = self.username
        response = self.session.post(
            self.url(f"hub/api/users/{name}/server"),
            headers={"X-XSRFToken": self._xsrf("/hub/")},
            timeout=30,
        )
        if response.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"starting {name}'s server: {response.status_code} {response.text[:300]}")
        self._follow_progress(timeout)

    def _follow_progress(self, timeout: float) -> None:
        """Read the spawn's progress event stream, as the browser's spawn page does.

        It says "ready" the moment the hub knows, so waits are not rounded up
        to a polling interval. The hub writes a keep-alive every 8 s.
        """
        name = self.username
        deadline = time.monotonic() + timeout
        with self.session.get(self.url(f"hub/api/users/{name}/server/progress"), stream=True, timeout=30,
                              headers={"X-XSRFToken": self._xsrf("/hub/")}) as events:
            if events.status_code == 400:  # not starting: it was ready already, or failed before we asked
                return self._ready_now()
            events.raise_for_status()
            for line in events.iter_lines():
                if time.monotonic() > deadline:
                    raise HubError(f"{name}'s server was not ready within {timeout} s")
                if not line.startswith(b"data:"):
                    continue
                event = json.loads(line[len(b"data:"):])
                if event.get("ready"):
                    return None
                if event.get("failed"):
                    raise HubError(f"{name}'s server failed to start: {event.get('message')}")
        raise HubError(f"the hub ended {name}'s progress stream without saying ready or failed")

    def _ready_now(self) -> None:
        model = self.get(f"hub/api/users/{self.username}", headers={"X-XSRFToken": self._xsrf("/hub/")}).json()
        if not (model.get("servers", {}).get("") or {}).get("ready"):
            raise HubError(f"{self.username}'s server failed to start")

    def delete_user(self, name: str) -> None:
        """As an admin: delete a user from the hub (her server is stopped first); absent is fine."""
        response = self.session.delete(self.url(f"hub/api/users/{name}"), headers={"X-XSRFToken": self._xsrf("/hub/")},
                                       timeout=120)
        if response.status_code not in (204, 404):
            raise HubError(f"deleting {name}: {response.status_code} {response.text[:300]}")

    def delete_group(self, name: str) -> None:
        """As an admin: delete a hub group; absent is fine."""
        response = self.session.delete(self.url(f"hub/api/groups/{name}"), headers={"X-XSRFToken": self._xsrf("/hub/")},
                                       timeout=30)
        if response.status_code not in (204, 404):
            raise HubError(f"deleting group {name}: {response.status_code} {response.text[:300]}")

    def open_server(self) -> requests.Response:
        """Visit /user/<name>/ as a browser would (OAuth redirects included)."""
        response = self.get(f"user/{self.username}/")
        response.raise_for_status()
        return response

    def _server_headers(self) -> dict[str, str]:
        """Headers for our server's REST API (its _xsrf token)."""
        prefix = f"/user/{self.username}/"
        if not self._xsrf(prefix):
            self.open_server()  # as a browser would: this logs us in to the server and sets its _xsrf
        return {"X-XSRFToken": self._xsrf(prefix)}

    def _websocket(self, path: str, timeout: float) -> websocket.WebSocket:
        """A websocket to `path` under the hub's URL, with our cookies, as the browser opens one."""
        parsed = urlparse(self.base_url)
        scheme = "wss" if parsed.scheme == "https" else "ws"
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        sslopt = {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": self.ca_bundle} if self.ca_bundle else {}
        return websocket.create_connection(f"{scheme}://{parsed.netloc}{parsed.path}{path.lstrip('/')}", cookie=cookie,
                                           header=[f"User-Agent: {USER_AGENT}"], timeout=timeout, sslopt=sslopt)

    def run_code(self, code: str, timeout: float = 60) -> str:
        """Start a kernel, execute code over the websocket, return what it printed or returned."""
        headers = self._server_headers()
        response = self.session.post(self.url(f"user/{self.username}/api/kernels"), json={"name": "python3"},
                                     headers=headers, timeout=60)
        if response.status_code != 201:
            raise HubError(f"starting a kernel: {response.status_code} {response.text[:300]}")
        kernel_id = response.json()["id"]
        try:
            return self._execute(kernel_id, code, timeout)
        finally:
            self.session.delete(self.url(f"user/{self.username}/api/kernels/{kernel_id}"), headers=headers, timeout=30)

    def run_in_terminal(self, command: str, timeout: float = 120) -> str:
        """Type a command line into a new JupyterLab terminal (a login shell), as a person
        would; return what it printed, without escape sequences or carriage returns.

        The shell prints a marker before and after the command, each from two quoted
        halves, so the echo of what we typed never looks like a marker.
        """
        headers = self._server_headers()
        response = self.session.post(self.url(f"user/{self.username}/api/terminals"), headers=headers, timeout=30)
        if response.status_code != 200:
            raise HubError(f"opening a terminal: {response.status_code} {response.text[:300]}")
        name = response.json()["name"]
        token = uuid.uuid4().hex[:12]
        begin, end = f"{token}-begin", f"{token}-end"
        try:
            ws = self._websocket(f"user/{self.username}/terminals/websocket/{name}", timeout)
            try:
                ws.send(json.dumps(["set_size", 50, 400]))  # wide: the echo of a long line does not wrap
                ws.send(json.dumps(["stdin", f"echo {token}-beg''in; {command}; echo {token}-e''nd\r"]))
                screen, deadline = "", time.monotonic() + timeout
                while end not in _plain(screen).partition(begin)[2]:
                    if time.monotonic() > deadline:
                        raise HubError(f"the terminal did not finish {command!r} within {timeout} s:\n{_plain(screen)}")
                    message = json.loads(ws.recv())
                    if message[0] == "stdout":
                        screen += message[1]
            finally:
                ws.close()
        finally:
            self.session.delete(self.url(f"user/{self.username}/api/terminals/{name}"), headers=headers, timeout=30)
        return _plain(screen).partition(begin)[2].partition(end)[0].strip()

    def _execute(self, kernel_id: str, code: str, timeout: float) -> str:
        ws = self._websocket(f"user/{self.username}/api/kernels/{kernel_id}/channels", timeout)
        try:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps(_execute_request(msg_id, code)))
            outputs: list[str] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    outputs.append(content["text"])
                elif kind in ("execute_result", "display_data"):
                    outputs.append(content["data"].get("text/plain", ""))
                elif kind == "error":
                    raise HubError(f"kernel error: {content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(outputs).strip()
            raise HubError(f"no answer from the kernel within {timeout} s")
        finally:
            ws.close()


def wait_for_hub(base_url: str, timeout: float = 60) -> None:
    """Until the hub answers its API (after a start or restart)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            HubClient(base_url).api_version()
            return
        except Exception:
            time.sleep(0.5)
    raise HubError(f"no hub answered at {base_url} within {timeout} s")


def _plain(terminal_output: str) -> str:
    """Terminal output as text: no escape sequences (colours, titles, bracketed paste), no carriage returns."""
    text = re.sub(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)", "", terminal_output)
    text = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", text)
    return text.replace("\r", "")


def _execute_request(msg_id: str, code: str) -> dict:
    return {
        "header": {
            "msg_id": msg_id,
            "username": "test",
            "session": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
        "buffers": [],
        "channel": "shell",
    }
