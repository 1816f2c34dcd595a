"""The admins' usage page at /services/usage/: started by systemd when asked for, guarded by the hub.

JupyterHub's OAuth decides who sees it: the page needs the scope
`access:services!service=usage`, which only the hub's admin role holds
(or a role the professor grants it to). Anyone else is refused with 403, by
the hub at login and by the page itself (HubOAuthenticated).

systemd listens on 127.0.0.1 for it and starts it at the first request
(tljh_lite.usage.units); it serves on that socket, and exits once nobody has
asked for anything for IDLE_EXIT_SECONDS, giving back its memory (most of it
JupyterHub's OAuth client library) until the next visit. It reads the usage
record read-only, and draws the plots when the page is asked for (it refreshes
itself every minute while it is open).
"""

from __future__ import annotations

import html
import os
import re
import socket
import sys
import time
from pathlib import Path

from ..hub.settings import usage_page_oauth
from ..ports import USAGE_PAGE_PORT

REFRESH_SECONDS = 60
# An open page asks every REFRESH_SECONDS; ten minutes without a request: nobody is looking.
IDLE_EXIT_SECONDS = 600
SYSTEMD_FIRST_FD = 3  # sd_listen_fds(3): the first socket systemd passes


def now_section(paths) -> str:
    """The students' servers right now, as in `tljh-lite status`."""
    from ..runner import Runner
    from .current import duration, servers

    rows = servers(Runner(), paths, time.time())
    cells = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            html.escape(s["user"]),
            "-" if s["memory"] is None else f"{s['memory'] / 2**20:.0f} MiB",
            "-" if s["memory_peak"] is None else f"{s['memory_peak'] / 2**20:.0f} MiB",
            "-" if s["cpu_cores_last_minute"] is None else f"{s['cpu_cores_last_minute']:.2f}",
            duration(s["idle"]),
        )
        for s in rows
    )
    return (f'<h2>Now: <span id="running">{len(rows)}</span> students\' servers running</h2>'
            "<table id=servers><tr><th>student</th><th>memory</th><th>peak</th><th>CPU (cores)</th><th>idle</th></tr>"
            f"{cells}</table>")


def render(paths, since: str) -> str:
    from ..config.checker import config_checker
    from ..config.file import ConfigFile
    from . import report
    from .page import html_page
    from .store import open_store, record_file
    from .summary import series

    checker = config_checker(paths=paths)
    config = checker.merged(ConfigFile(paths.config_file).load())
    seconds = report.parse_since(since)
    result = report.load(paths, config, seconds)
    rows = []
    if record_file(paths).exists():
        db = open_store(record_file(paths), readonly=True)
        try:
            now = int(time.time())
            rows = series(db, now - seconds, now)
        finally:
            db.close()
    return html_page(result, since, rows, now_section(paths), refresh=REFRESH_SECONDS)


def make_app(paths, base_url: str, api_token: str, seen=lambda: None):
    """The page and its OAuth callback; `seen()` is called at every request (for the idle exit)."""
    import tornado.web
    from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated

    from ..errors import TljhError

    oauth = usage_page_oauth(base_url)
    hub_auth = HubOAuth(api_token=api_token, api_url=oauth["api_url"], hub_prefix=oauth["hub_prefix"],
                        base_url=oauth["prefix"], oauth_client_id=oauth["client_id"],
                        oauth_redirect_uri=oauth["redirect_uri"], access_scopes=oauth["access_scopes"])

    class Guarded(HubOAuthenticated):
        def initialize(self):
            self.hub_auth = hub_auth

        def prepare(self):
            seen()

    class UsagePage(Guarded, tornado.web.RequestHandler):
        @tornado.web.authenticated
        def get(self):
            since = self.get_argument("since", "30d")
            try:
                page = render(paths, since)
            except TljhError as e:
                raise tornado.web.HTTPError(400, e.one_line()) from e
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
            self.set_header("Cache-Control", "no-store")
            self.finish(page)

    class Callback(Guarded, HubOAuthCallbackHandler):
        pass

    return tornado.web.Application(
        [(re.escape(oauth["prefix"]), UsagePage), (re.escape(oauth["redirect_uri"]), Callback)],
        cookie_secret=os.urandom(32),
    )


def listening_socket(environ=os.environ, fd: int = SYSTEMD_FIRST_FD) -> socket.socket:
    """The socket systemd passed (socket activation), or one of our own when run by hand."""
    if environ.get("LISTEN_PID") == str(os.getpid()) and int(environ.get("LISTEN_FDS", "0")) >= 1:
        sock = socket.socket(fileno=fd)
    else:
        sock = socket.create_server(("127.0.0.1", USAGE_PAGE_PORT))
    sock.setblocking(False)
    return sock


def api_token(paths, environ=os.environ) -> str:
    """The page's token for the hub's API: systemd's credential, or the root-only file when run by hand."""
    from .units import usage_page_token_file

    credentials = environ.get("CREDENTIALS_DIRECTORY")
    path = Path(credentials) / "api-token" if credentials else usage_page_token_file(paths)
    return path.read_text().strip()


def main() -> int:
    import asyncio

    from tornado.httpserver import HTTPServer

    from ..config.checker import config_checker
    from ..config.file import ConfigFile
    from ..paths import Paths

    paths = Paths.from_environ()
    base_url = config_checker(paths=paths).merged(ConfigFile(paths.config_file).load())["base_url"]
    last_seen = [time.monotonic()]

    async def serve():
        app = make_app(paths, base_url, api_token(paths), seen=lambda: last_seen.__setitem__(0, time.monotonic()))
        server = HTTPServer(app, xheaders=True)
        server.add_sockets([listening_socket()])
        while time.monotonic() - last_seen[0] < IDLE_EXIT_SECONDS:
            await asyncio.sleep(min(30, IDLE_EXIT_SECONDS))
        server.stop()  # systemd keeps listening, and starts the page again at the next request

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
