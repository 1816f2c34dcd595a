"""NativeAuthenticator as the hub runs it, for `auth.type: nativeauthenticator.NativeAuthenticator`.

Two differences from the upstream class, both small and both harmless once
upstream changes:

- JupyterHub 6 removed `BaseHandler.statsd`, which NativeAuthenticator 1.3.0's
  login form still times itself with (`self.statsd.timer(...)`), so every
  login failed with an AttributeError. On a JupyterHub without `statsd`, each
  of its handlers gets a `statsd` that measures nothing (JupyterHub 6 reports
  through prometheus instead). A release of NativeAuthenticator that no longer
  uses it simply never looks at the attribute; on JupyterHub 5 nothing is
  changed at all.
- An admin's account never comes from the signup form. Upstream approves
  whoever signs up first under an admin's name, and hub admins are root here
  (sudo), so a student quicker than the professor would own the machine.
  Admins get their account from tljh-lite (`tljh_lite.auth.switch` carries
  over the password they have; `tljh-lite users reset-password` sets one).

Hub side only: imports JupyterHub and NativeAuthenticator.
"""

from __future__ import annotations

from nativeauthenticator import NativeAuthenticator as UpstreamNativeAuthenticator


class _NoStats:
    """The part of a statsd client that NativeAuthenticator calls (timer, start, stop), doing nothing."""

    def timer(self, *args, **kwargs) -> "_NoStats":
        return self

    def start(self) -> "_NoStats":
        return self

    def stop(self, *args, **kwargs) -> None:
        return None

    def incr(self, *args, **kwargs) -> None:
        return None

    def timing(self, *args, **kwargs) -> None:
        return None

    def gauge(self, *args, **kwargs) -> None:
        return None


class _NoStatsHandler:
    statsd = _NoStats()


def with_statsd(handler: type) -> type:
    """The handler itself where JupyterHub still has `statsd`; else a subclass that has a silent one."""
    if hasattr(handler, "statsd"):  # JupyterHub 5's BaseHandler, or a NativeAuthenticator that brings its own
        return handler
    return type(handler.__name__, (_NoStatsHandler, handler), {"__module__": __name__})


class NativeAuthenticator(UpstreamNativeAuthenticator):
    """Configured as `c.NativeAuthenticator` (the same name as upstream's, so its settings and
    TLJH-era jupyterhub_config.d snippets apply unchanged)."""

    def get_handlers(self, app):
        return [(route, with_statsd(handler), *rest) for route, handler, *rest in super().get_handlers(app)]

    def create_user(self, username, password, **kwargs):
        name = self.normalize_username(username)
        admins = {self.normalize_username(admin) for admin in self.admin_users}
        if name in admins and not self.user_exists(name):
            self.log.warning("Refused a signup as admin %s: admins get their password from "
                             "'sudo tljh-lite users reset-password %s'", name, name)
            return None
        return super().create_user(username, password, **kwargs)
