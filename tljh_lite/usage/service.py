"""The admins' usage page at /services/usage/: a service the hub starts and guards.

JupyterHub's OAuth decides who sees it: the page needs the scope
`access:services!service=usage`, which only the hub's admin role holds
(or a role the professor grants it to). Anyone else is refused with 403, by
the hub at login and by the page itself (HubOAuthenticated).

It listens on 127.0.0.1 only, reads the usage record read-only, and draws the
plots when the page is asked for (it refreshes itself every minute).
"""

from __future__ import annotations

import html
import os
import sys
import time
from urllib.parse import urlparse

from ..hub.settings import USAGE_PAGE_NAME
from ..ports import USAGE_PAGE_PORT

REFRESH_SECONDS = 60


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


def make_app(paths):
    import tornado.web
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated

    from ..errors import TljhError

    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{USAGE_PAGE_NAME}/")

    class UsagePage(HubOAuthenticated, tornado.web.RequestHandler):
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

    return tornado.web.Application(
        [(prefix, UsagePage), (prefix + "oauth_callback", HubOAuthCallbackHandler)],
        cookie_secret=os.urandom(32),
    )


def main() -> int:
    import asyncio

    from ..paths import Paths

    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", f"http://127.0.0.1:{USAGE_PAGE_PORT}"))

    async def serve():
        make_app(Paths.from_environ()).listen(url.port or USAGE_PAGE_PORT, "127.0.0.1")
        await asyncio.Event().wait()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
