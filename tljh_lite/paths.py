"""Where tljh-lite keeps things on a machine (TLJH's layout, so its docs apply).

Paths are a value passed around, never module globals read from the
environment at import time: tests build a `Paths` rooted in a temporary
directory, and only `main()` functions look at the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PREFIX = Path("/opt/tljh")
PREFIX_ENV_VAR = "TLJH_INSTALL_PREFIX"  # TLJH's name for the same setting


@dataclass(frozen=True)
class Paths:
    prefix: Path = DEFAULT_PREFIX

    @classmethod
    def from_environ(cls, environ: os._Environ | dict | None = None) -> "Paths":
        environ = os.environ if environ is None else environ
        return cls(Path(environ.get(PREFIX_ENV_VAR) or DEFAULT_PREFIX))

    @property
    def hub_venv(self) -> Path:
        return self.prefix / "hub"

    @property
    def uv_excludes(self) -> Path:
        """Packages no uv install may add (written by bootstrap, which explains each)."""
        return self.hub_venv / "uv-excludes.txt"

    @property
    def user_venv(self) -> Path:
        return self.prefix / "user"

    @property
    def config_dir(self) -> Path:
        return self.prefix / "config"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.yaml"

    @property
    def config_d(self) -> Path:
        return self.config_dir / "jupyterhub_config.d"

    @property
    def state_dir(self) -> Path:
        return self.prefix / "state"

    @property
    def proxy_env(self) -> Path:
        """Root-only file holding CONFIGPROXY_AUTH_TOKEN for the hub and the proxy (never a command line)."""
        return self.state_dir / "proxy.env"

    @property
    def downloads_env(self) -> Path:
        """Root-only: the web proxy, the mirror and pip's patience every later download uses (downloads/settings.py)."""
        return self.state_dir / "downloads.env"

    @property
    def hub_db(self) -> Path:
        """The hub's SQLite database (users, groups, tokens; NativeAuthenticator's passwords)."""
        return self.state_dir / "jupyterhub.sqlite"

    @property
    def lti_tool_key(self) -> Path:
        """The LTI tool's private key (auth.lti.toolkey), made at the hub's first start with LTI."""
        return self.state_dir / "lti13-tool-key.pem"

    @property
    def acme_webroot(self) -> Path:
        """Where certbot puts ACME http-01 challenge files and the port-80 responder reads them."""
        return self.prefix / "acme-webroot"

    @property
    def installer_log(self) -> Path:
        return self.prefix / "installer.log"
