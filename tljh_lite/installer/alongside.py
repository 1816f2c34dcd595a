"""The apt step alongside the students' environment, when nothing of the one can need the other.

apt (mostly Node.js for the proxy, about 17 s) and uv (the students'
environment, about 13 s) used to run one after the other. They share nothing:
apt fills /usr, uv /opt/tljh/user, and neither the proxy nor git is needed
before the units start. So on a plain install they run at once.

TLJH's order stays whenever it may matter: a plugin's Debian packages may be
what its Python packages build against (compilers, libraries), and a
requirements file may name git URLs or packages that build from source; then
apt finishes first, as in TLJH.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

log = logging.getLogger("tljh_lite")
T = TypeVar("T")


def can_run_alongside(apt_packages: list[str], own: set[str], requirements_url: str | None) -> bool:
    """Only tljh-lite's `own` Debian packages, and no requirements file: nothing the Python side could build against."""
    return not requirements_url and set(apt_packages) <= own


def run_alongside(apt: Callable[[], object], python: Callable[[], T]) -> T:
    """`python()` here while `apt()` runs on a thread; both finish before this returns.

    apt is never abandoned half-way (dpkg must finish what it started): when
    the Python side fails, apt still runs to its end, and the Python error is
    the one raised (apt's, if it failed too, goes to the log).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="apt") as pool:
        apt_done = pool.submit(apt)
        try:
            result = python()
        except BaseException:
            failure = apt_done.exception()
            if failure is not None:
                log.error("the system packages failed too: %s", failure)
            raise
        apt_done.result()
    return result
