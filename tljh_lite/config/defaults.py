"""The value every key has when config.yaml does not set it.

docs/config.md documents these; a unit test keeps the two equal.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

DEFAULTS: dict[str, Any] = {
    "base_url": "/",
    "auth": {
        "type": "firstuseauthenticator.FirstUseAuthenticator",
        "FirstUseAuthenticator": {"create_users": False},
        # LTI 1.3 from the school's LMS (docs/lms.md). None: the class's default, as for every
        # authenticator setting; the hub gets only the keys config.yaml sets.
        "LTI13Authenticator": {
            "issuer": None,
            "client_id": None,
            "authorize_url": None,
            "jwks_endpoint": None,
            "username_key": None,
            "allowed_roles": None,
            "lms_admins_are_hub_admins": None,
            "frame_ancestors": None,
        },
    },
    "users": {"allowed": [], "banned": [], "admin": [], "extra_user_groups": {}},
    "limits": {"memory": None, "cpu": None, "disk": None},
    "groups": {},
    "user_environment": {"default_app": "jupyterlab"},
    # PyPI, unless the school has a mirror (docs/offline.md).
    "pip": {"index_url": ""},
    "http": {"address": "", "port": 80},
    "https": {
        "enabled": False,
        "address": "",
        "port": 443,
        "tls": {"key": "", "cert": ""},
        "letsencrypt": {"email": "", "domains": [], "staging": False, "acme_server": ""},
    },
    "services": {
        "cull": {
            "enabled": True,
            # An hour: a student who steps out of a class or a lab session keeps
            # their kernel; a server forgotten overnight frees its memory. TLJH's
            # docs said 3600 while its code used 600; here both say 3600.
            "timeout": 3600,
            # Check every 5 minutes: a server lives at most timeout + every.
            "every": 300,
            "concurrency": 5,
            "users": False,
            "max_age": 0,
            "remove_named_servers": False,
            # A kernel that has run nothing for an hour is shut down by the student's own
            # server (busy kernels never): its notebook stays, she restarts the kernel when
            # she is back. An hour, like the servers' timeout: a student who listens through
            # a lecture keeps her variables; a kernel left behind in the morning's notebook
            # gives back its memory (a pandas lesson's holds hundreds of MiB).
            "kernel_timeout": 3600,
        },
        "configurator": {"enabled": False},
    },
    # Swap in compressed memory where the machine allows it: idle students' pages compress
    # about 3:1 and go there instead of taking RAM from those who work (docs/performance.md).
    "zram": {"enabled": True},
    # The VM's monthly price, in the professor's currency; none until she sets it (tljh-lite report).
    "cost": {"vm_monthly": None},
    # Off until the professor turns it on: backups need disk space she should choose.
    "backup": {"schedule": "off", "keep": 7, "path": "/var/backups/tljh-lite"},
}


def merged(config: Mapping[str, Any], defaults: Mapping[str, Any] = DEFAULTS) -> dict[str, Any]:
    """defaults overlaid with config: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(dict(defaults))
    for key, value in config.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(value, out[key])
        else:
            out[key] = copy.deepcopy(value)
    return out
