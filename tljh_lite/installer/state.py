"""The state directory (root only) and the secrets in it, made once and kept."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..culler.units import culler_token_file
from ..files import atomic_write
from ..paths import Paths
from ..proxysync import token_file
from ..usage.units import usage_page_token_file


def ensure_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def ensure_secret(path: Path, render) -> bool:
    """Write render(token) to path (0600) unless it exists; True if made."""
    if path.exists():
        os.chmod(path, 0o600)
        return False
    atomic_write(path, render(secrets.token_hex(32)), 0o600)
    return True


def ensure_state(paths: Paths) -> None:
    ensure_private_dir(paths.state_dir)
    ensure_secret(paths.proxy_env, lambda token: f"CONFIGPROXY_AUTH_TOKEN={token}\n")
    ensure_secret(paths.state_dir / "jupyterhub_cookie_secret", lambda token: token + "\n")
    ensure_secret(token_file(paths), lambda token: token + "\n")
    ensure_secret(usage_page_token_file(paths), lambda token: token + "\n")
    ensure_secret(culler_token_file(paths), lambda token: token + "\n")
    ensure_private_dir(paths.config_dir)
    paths.config_d.mkdir(mode=0o755, exist_ok=True)
