"""nbgrader's extensions for students' servers (the assignment list, the validator), loaded at first use.

nbgrader's own extensions import nbgrader, nbconvert and SQLAlchemy while the
server starts: for every student of a course, also one who does not open the
Assignments panel that day, that was a quarter more time from login to
JupyterLab and 15 % more memory on 2 cores (bench/courses.py). This extension
takes their URLs and nothing more at start; the first request to one (she
opens the panel, or validates a notebook) loads nbgrader's extensions, and
from then on nbgrader's own handlers answer, through the same URLs.
"""

from __future__ import annotations

import importlib
from typing import Any

from jupyter_server.utils import url_path_join
from tornado.routing import PathMatches, Router

EXTENSIONS = ("nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.validate_assignment")
URLS = r"(?:assignments|courses|nbgrader_version)(?:/.*)?"  # every URL those extensions serve


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "tljh_lite_courses_nbgrader.lazy"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(PathMatches(url_path_join(base_url, URLS)), NbgraderAtFirstUse(serverapp))])


class NbgraderAtFirstUse(Router):
    """Routes its URLs to nbgrader's handlers, loading nbgrader's extensions the first time."""

    # Not a handler itself: jupyter_server's check that every handler's methods are authenticated
    # (ServerWebApplication.add_handlers) finds none to check here. nbgrader's handlers, which
    # answer every request, are checked when _load registers them.
    SUPPORTED_METHODS: tuple[str, ...] = ()

    def __init__(self, serverapp: Any):
        self.serverapp = serverapp
        self.rules: list[tuple[PathMatches, type]] | None = None

    def find_handler(self, request, **kwargs):
        if self.rules is None:
            self.rules = self._load()
        for matcher, handler in self.rules:
            params = matcher.match(request)
            if params is not None:
                return self.serverapp.web_app.get_handler_delegate(
                    request, handler, path_args=params.get("path_args"), path_kwargs=params.get("path_kwargs"))
        return None

    def _load(self) -> list[tuple[PathMatches, type]]:
        self.serverapp.log.info("Loading nbgrader's assignment list and validator (first use)")
        base_url = self.serverapp.web_app.settings["base_url"]
        rules = []
        for name in EXTENSIONS:
            handlers = importlib.import_module(f"{name}.handlers")
            handlers.load_jupyter_server_extension(self.serverapp)  # its settings (and its own routes, after ours)
            rules += [(PathMatches(url_path_join(base_url, pattern)), handler)
                      for pattern, handler in handlers.default_handlers]
        return rules
