"""The CA bundle every download trusts, for installs that do not come through bootstrap (restore).

Bootstrap gives the installer these variables (a campus TLS proxy's CA is in
the system bundle, but uv, pip and npm each ship their own roots unless
told). `tljh-lite backup restore` installs plugins and packages too, so it
sets the same ones. The same rule as bootstrap's `ca_bundle_env` (that
script runs before this package is installed; a unit test keeps them equal).
"""

from __future__ import annotations

import os
from typing import Callable, Mapping, MutableMapping

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CA_SOURCE_VARS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT")
CA_EXPORT_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS", "npm_config_cafile")


def ca_bundle_env(environ: Mapping[str, str], exists: Callable[[str], bool] = os.path.isfile) -> dict[str, str]:
    """The variables that make every child trust the same CA bundle."""
    candidates = [environ.get(var) for var in CA_SOURCE_VARS] + [SYSTEM_CA_BUNDLE]
    for path in candidates:
        if path and exists(path):
            return {var: path for var in CA_EXPORT_VARS}
    return {}


def trust_ca_bundle(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set them in this process, so every command it runs inherits them."""
    environ.update(ca_bundle_env(environ))
