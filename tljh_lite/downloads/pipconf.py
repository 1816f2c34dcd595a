"""The mirror in both environments' pip.conf: `pip install` gets packages from it wherever it runs.

pip reads `<venv>/pip.conf` (its "site" configuration, pip's docs: Configuration)
for every pip of that environment: a student's `pip install --user` in a
terminal or a notebook, an admin's `sudo -E pip install`, a cron job of
root's, with or without the hub's environment variables. Students read it,
which is why `pip.index_url` may hold no password (config/formats.py).
A file that is not ours (no marker line) is left alone.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..files import write_if_changed
from ..paths import Paths

MARKER = "# Written by tljh-lite from config.yaml's pip.index_url (docs/offline.md); tljh-config reload rewrites it.\n"


def trusted_host(index_url: str) -> str | None:
    """A mirror served over plain http is one pip ignores unless told to trust it (its `trusted-host`,
    host[:port]); uv takes it as it is. An https mirror needs nothing."""
    parts = urlsplit(index_url)
    return parts.netloc if parts.scheme == "http" else None


def pip_conf(index_url: str) -> str:
    host = trusted_host(index_url)
    return f"{MARKER}[global]\nindex-url = {index_url}\n" + (f"trusted-host = {host}\n" if host else "")


def ensure_pip_confs(paths: Paths, index_url: str) -> list[Path]:
    """Write (or remove, with no mirror) our pip.conf in each environment that exists; the files changed."""
    changed = []
    for venv in (paths.hub_venv, paths.user_venv):
        target = venv / "pip.conf"
        if not venv.is_dir():
            continue
        if index_url:
            if write_if_changed(target, pip_conf(index_url), 0o644):
                changed.append(target)
        elif target.is_file() and target.read_text().startswith(MARKER):
            target.unlink()
            changed.append(target)
    return changed
