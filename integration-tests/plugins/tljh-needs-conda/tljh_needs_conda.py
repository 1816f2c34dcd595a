"""Imports TLJH's conda helpers, as some public plugins do."""

from tljh.conda import ensure_conda_packages  # noqa: F401
from tljh.hooks import hookimpl


@hookimpl
def tljh_post_install():
    ensure_conda_packages("/opt/tljh/user", ["numpy"])
