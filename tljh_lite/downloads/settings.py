"""The saved download settings, `/opt/tljh/state/downloads.env`: what later runs download with.

Written by the installer (the proxy bootstrap was given, the mirror, whether the
hub came from a bundle) and by `tljh-config reload` (the mirror, when
`pip.index_url` changed). Read by:

- bootstrap on a re-run whose environment names no proxy (its twin parser,
  installer/bootstrap.py read_saved_downloads);
- the hub's unit and the renewal's (`EnvironmentFile=`), so students' servers
  (spawner) and certbot download the same way;
- commands that download (`apply`): reload (certbot), restore (plugins).

It is root's and private (0600 in a 0700 folder): a proxy URL may hold a
password. Its format is systemd's EnvironmentFile (systemd.exec(5)): KEY="value"
lines, with `\\` and `"` escaped; nothing else, so both parsers stay simple.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, MutableMapping

from ..files import write_if_changed
from ..paths import Paths
from .pipconf import ensure_pip_confs, trusted_host
from .proxy import exported, given, has_credentials, without_credentials

HEADER = "# Written by tljh-lite: how this machine downloads packages (docs/offline.md). Root only.\n"
# When the hub was installed from a bundle there is no network to wait for: pip tries once more
# and gives up within seconds, saying it cannot connect (its own message), instead of hanging.
OFFLINE_PIP = {"PIP_RETRIES": "1", "PIP_TIMEOUT": "10"}
INDEX_VARIABLES = ("PIP_INDEX_URL", "UV_DEFAULT_INDEX")  # pip's and uv's names for the same mirror


@dataclass
class DownloadSettings:
    proxy: dict[str, str] = field(default_factory=dict)  # checked settings: proxy.checked()
    index_url: str = ""  # config.yaml pip.index_url
    offline: bool = False  # installed from a bundle

    def env(self) -> dict[str, str]:
        """The variables every download runs with."""
        env = exported(self.proxy)
        if self.index_url:
            env.update({name: self.index_url for name in INDEX_VARIABLES})
            if trusted_host(self.index_url):
                env["PIP_TRUSTED_HOST"] = trusted_host(self.index_url)
        if self.offline:
            env.update(OFFLINE_PIP)
        return env

    def text(self) -> str:
        return HEADER + "".join(f'{key}="{_escape(value)}"\n' for key, value in sorted(self.env().items()))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "DownloadSettings":
        """The settings `env()` gave (the saved file's, or the hub's environment, which its unit read from it)."""
        return cls(
            proxy=given(env) or {},
            index_url=env.get(INDEX_VARIABLES[0], ""),
            offline=all(env.get(key) == value for key, value in OFFLINE_PIP.items()),
        )

    @classmethod
    def parse(cls, text: str) -> "DownloadSettings":
        return cls.from_env(parse_env_file(text))

    @classmethod
    def load(cls, paths: Paths) -> "DownloadSettings":
        try:
            return cls.parse(paths.downloads_env.read_text())
        except (FileNotFoundError, PermissionError):
            return cls()

    def save(self, paths: Paths) -> bool:
        """Write the file if it changed (True then); root only, it may hold the proxy's password."""
        paths.downloads_env.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return write_if_changed(paths.downloads_env, self.text(), 0o600)


def keep_mirror(paths: Paths, index_url: str) -> bool:
    """`tljh-config reload`: config.yaml's pip.index_url into the saved settings and both pip.conf; True if
    either changed (the hub, which reads the settings, then restarts)."""
    settings = DownloadSettings.load(paths)
    settings.index_url = index_url
    changed = settings.save(paths)
    return bool(ensure_pip_confs(paths, index_url)) or changed


def parse_env_file(text: str) -> dict[str, str]:
    """KEY="value" lines (and KEY=value), comments and blank lines skipped."""
    env = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        env[key.strip()] = value
    return env


def _escape(value: str) -> str:
    if "\n" in value:
        raise ValueError("a download setting cannot hold a line break")
    return value.replace("\\", "\\\\").replace('"', '\\"')


def apply(paths: Paths, environ: MutableMapping[str, str] = os.environ) -> None:
    """Download as the install does, in a command run later (`sudo` dropped the proxy variables).

    A proxy named in the environment itself wins, as it does for bootstrap.
    """
    saved = DownloadSettings.load(paths).env()
    if given(environ) is not None:
        saved = {k: v for k, v in saved.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    for key, value in saved.items():
        environ.setdefault(key, value)


def server_env(hub_environ: Mapping[str, str], admin: bool) -> dict[str, str]:
    """What a student's server gets of the hub's download settings (its unit's EnvironmentFile).

    The proxy's password goes to admins only (their servers run sudo, they are root
    anyway); students get the proxy without it, so nbgitpuller and `pip install
    --user` work through a proxy that needs none, and a password is never theirs to read.
    """
    env = DownloadSettings.from_env(hub_environ).env()
    if not admin:
        env = {key: without_credentials(value) if has_credentials(value) else value for key, value in env.items()}
    return env
