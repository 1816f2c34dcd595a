"""Before the hub restarts with a new authenticator: can the admins of config.yaml still log in?

Pure: the merged config and which admins have a password in the
authenticator's own store (FirstUse, Native) go in, the lines `tljh-config
reload` prints come out; none when nothing stands in the way. The reload goes
on either way: an admin keeps root on the machine through sudo, so these lines
say how to get back in, not why to stop.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .kinds import kind_of

FIRSTUSE = "firstuseauthenticator.FirstUseAuthenticator"
BACK_TO_FIRSTUSE = f"sudo tljh-config set auth.type {FIRSTUSE} && sudo tljh-config reload"


def lockout_warnings(config: Mapping[str, Any], with_password: Iterable[str] | None = None) -> list[str]:
    """What keeps users.admin from logging in with auth.type; `with_password`: the admins whose
    password the authenticator keeps here (FirstUse, Native), None for the others."""
    admins = sorted({name.lower() for name in config["users"]["admin"]})
    if not admins:
        return []
    auth_type = config["auth"]["type"]
    kind = kind_of(auth_type)
    names = ", ".join(admins)
    if kind in ("firstuse", "native"):
        missing = [name for name in admins if name not in set(with_password or ())]
        return [_no_password(kind, name) for name in missing]
    if kind == "tmp":
        return [f"Warning: TmpAuthenticator gives every visitor a new random name, so nobody can log in as "
                f"{names} (users.admin): the hub has no admin while it is on. You keep root on this machine; "
                f"to get the admin pages back: {BACK_TO_FIRSTUSE}"]
    if kind == "dummy":
        shared = (config["auth"].get("DummyAuthenticator") or {}).get("password")
        who = "anyone who knows auth.DummyAuthenticator.password" if shared else "anyone, with any password,"
        return [f"Warning: with DummyAuthenticator {who} can log in as {names} (users.admin), and hub admins "
                f"have sudo here: use it only on a machine nobody else can reach. To go back: {BACK_TO_FIRSTUSE}"]
    if kind in ("ldap", "oauth", "lti13"):
        source = {"ldap": "the directory's user names", "oauth": "the names the provider gives",
                  "lti13": "the hub names LTI launches give (docs/lms.md, 'Who is who')"}[kind]
        return [f"Note: with {auth_type.rsplit('.', 1)[-1]}, {names} (users.admin) must be written exactly as "
                f"{source} (see docs/authentication.md). Log in as an admin in a private window before you log "
                f"out; if that fails: {BACK_TO_FIRSTUSE}"]
    return [f"Note: tljh-lite cannot check whether {auth_type} lets {names} (users.admin) log in. Log in as an "
            f"admin in a private window before you log out; if that fails: {BACK_TO_FIRSTUSE}"]


def _no_password(kind: str, name: str) -> str:
    reset = f"sudo tljh-lite users reset-password {name}"
    if kind == "native":
        return (f"Warning: admin {name} has no NativeAuthenticator account, so cannot log in (admins cannot sign "
                f"up here). Give her one: {reset}")
    return (f"Warning: admin {name} has no password yet, so whoever logs in first as {name} would set it. "
            f"Give her one: {reset}")
