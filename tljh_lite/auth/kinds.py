"""What kind of authenticator config.yaml's `auth.type` names, and the class the hub runs for it.

`auth.type` keeps TLJH's spelling (a class path such as
`nativeauthenticator.NativeAuthenticator`, or an entry-point name such as
`native`). FirstUseAuthenticator, NativeAuthenticator and ltiauthenticator's
LTI13Authenticator run as classes of ours under the same names
(`tljh_lite.auth.firstuse`, `tljh_lite.auth.native`,
`tljh_lite.auth.lti.authenticator`); every other type goes to JupyterHub as
written.
"""

from __future__ import annotations

FIRSTUSE_CLASS = "tljh_lite.auth.firstuse.FirstUseAuthenticator"
NATIVE_CLASS = "tljh_lite.auth.native.NativeAuthenticator"
LTI13_CLASS = "tljh_lite.auth.lti.authenticator.LTI13Authenticator"
_OURS = {"firstuse": FIRSTUSE_CLASS, "native": NATIVE_CLASS, "lti13": LTI13_CLASS}
# ltiauthenticator has LTI 1.1 too (ltiauthenticator.LTIAuthenticator): only 1.3 is ours.
_LTI13_TYPES = {"ltiauthenticator.lti13.auth.lti13authenticator", LTI13_CLASS.lower()}

# By package (the text before the first dot), so a class of another package that merely
# sounds alike (a campus "SSOAuthenticator") is not taken for one of these.
_PACKAGES = {
    "firstuseauthenticator": "firstuse",
    "nativeauthenticator": "native",
    "tmpauthenticator": "tmp",
    "ldapauthenticator": "ldap",
    "oauthenticator": "oauth",  # GitHub, Google, Generic (OpenID Connect), ...
}
_JUPYTERHUB_CLASSES = {"jupyterhub.auth.dummyauthenticator": "dummy", "jupyterhub.auth.pamauthenticator": "pam",
                       "jupyterhub.auth.localauthenticator": "pam"}
# JupyterHub's entry-point names (`c.JupyterHub.authenticator_class = "native"`).
_ENTRY_POINTS = {"firstuse": "firstuse", "native": "native", "tmp": "tmp", "ldap": "ldap", "ldapauthenticator": "ldap",
                 "dummy": "dummy", "pam": "pam", "default": "pam", "github": "oauth", "google": "oauth",
                 "generic": "oauth", "generic-oauth": "oauth", "gitlab": "oauth", "azuread": "oauth",
                 "bitbucket": "oauth", "cilogon": "oauth", "globus": "oauth", "openshift": "oauth", "auth0": "oauth",
                 "mediawiki": "oauth"}


def kind_of(auth_type: str) -> str:
    """'firstuse', 'native', 'tmp', 'dummy', 'ldap', 'oauth', 'lti13', 'pam', or 'other'."""
    lowered = auth_type.strip().lower()
    if lowered == FIRSTUSE_CLASS.lower():
        return "firstuse"
    if lowered == NATIVE_CLASS.lower():
        return "native"
    if lowered in _LTI13_TYPES:
        return "lti13"
    if lowered in _ENTRY_POINTS:
        return _ENTRY_POINTS[lowered]
    if lowered in _JUPYTERHUB_CLASSES:
        return _JUPYTERHUB_CLASSES[lowered]
    return _PACKAGES.get(lowered.split(".", 1)[0], "other")


def hub_class(auth_type: str) -> str:
    """What the hub's `authenticator_class` is for an `auth.type`."""
    return _OURS.get(kind_of(auth_type), auth_type)
