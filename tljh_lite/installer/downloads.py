"""Where this install downloads from, settled first and saved for later runs (docs/offline.md).

Bootstrap hands the installer an environment that already downloads the right
way: through the proxy it was given (or the one saved by the last install),
from the mirror, or from the bundle it unpacked (apt, uv and pip pointed at
it, `--from-bundle DIR`). Here that choice is recorded: `--index-url` becomes
config.yaml's `pip.index_url` (as `--admin` becomes `users.admin`), and the
proxy, the mirror and whether this hub came from a bundle go to
downloads.env (downloads/settings.py), which the hub and later commands read.
"""

from __future__ import annotations

from typing import MutableMapping

from ..config.checker import Checker
from ..config.editor import Editor
from ..config.file import ConfigFile
from ..downloads.pipconf import ensure_pip_confs
from ..downloads.proxy import checked, given
from ..downloads.settings import DownloadSettings
from ..paths import Paths


def prepare_downloads(paths: Paths, index_url: str | None, from_bundle: bool, checker: Checker,
                      environ: MutableMapping[str, str]) -> DownloadSettings:
    """Record the settings this install downloads with; environ then has all of them (the mirror too)."""
    if index_url is not None:
        editor = Editor(checker)

        def put(config):
            change = editor.set(config, "pip.index_url", index_url)
            return change.config if change.changed else config

        ConfigFile(paths.config_file).update(put)
    mirror = checker.merged(ConfigFile(paths.config_file).load())["pip"]["index_url"]
    settings = DownloadSettings(proxy=checked(given(environ) or {}), index_url=mirror, offline=from_bundle)
    settings.save(paths)
    environ.update(settings.env())
    return settings


def finish_downloads(paths: Paths, settings: DownloadSettings) -> None:
    """Once both environments exist: the mirror in their pip.conf."""
    ensure_pip_confs(paths, settings.index_url)
