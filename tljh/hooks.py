"""`from tljh.hooks import hookimpl` for TLJH plugins: the same marker as tljh_lite's."""

from tljh_lite.hooks import hookimpl, hookspec  # noqa: F401
