"""Cookies with the `Partitioned` attribute (CHIPS), for a hub shown inside the LMS's page.

Browsers now refuse a third party's cookies (Chromium 156 does, in every
profile) unless they are partitioned: kept apart for each top-level site, so
the hub's cookies inside Canvas's page are Canvas's copy only. The hub's
cookies and each student server's are marked so when the LMS may frame the
hub (`web.py`). Python's `http.cookies`, which tornado writes cookies with,
knows the attribute only from Python 3.14 on; before that this adds it, in
the process that calls `allow_partitioned_cookies()` (the hub, at its start;
each student's server, through `server_config/jupyter_server_config.py`).

Standard library only: each student's server loads this file from the hub's
environment by its path, with her environment's Python.
"""

from __future__ import annotations

import http.cookies


def allow_partitioned_cookies() -> None:
    """Let `Morsel` write `Partitioned` (a flag, like `Secure`); nothing to do on Python 3.14+."""
    if "partitioned" not in http.cookies.Morsel._reserved:
        http.cookies.Morsel._reserved["partitioned"] = "Partitioned"
        http.cookies.Morsel._flags.add("partitioned")
