"""Top-level config keys that plugins without a schema wrote, and which plugin owns each.

TLJH keeps whatever a plugin writes in `tljh_config_post_install`
(`config["Test"] = {...}`). So does tljh-lite, for new top-level keys only:
the installer records each such key with the plugin that wrote it, the
checker then accepts it unchecked while that plugin is installed, and
`tljh-config plugins` lists it. Keys no installed plugin owns stay errors, and
so do typos in tljh-lite's own keys (a plugin never owns a built-in key).
"""

from __future__ import annotations

import json
from typing import Iterable, Mapping

from ..files import atomic_write
from ..paths import Paths

RECORD_NAME = "plugin-owned-keys.json"


def record_path(paths: Paths):
    return paths.config_dir / RECORD_NAME


def read_owned(paths: Paths) -> dict[str, str]:
    """{key: plugin name} as recorded by the installer; {} if nothing was recorded."""
    try:
        data = json.loads(record_path(paths).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save_owned(paths: Paths, owned: Mapping[str, str]) -> None:
    """Write the record (root only, like config.yaml), only if it changed."""
    if dict(owned) == read_owned(paths):
        return
    atomic_write(record_path(paths), json.dumps(dict(sorted(owned.items())), indent=2) + "\n", mode=0o600)


def owned_by(owned: Mapping[str, str], plugin_names: Iterable[str]) -> dict[str, str]:
    """The recorded keys whose plugin is among these (installed) plugins."""
    names = set(plugin_names)
    return {key: plugin for key, plugin in owned.items() if plugin in names}


class WriteWatcher(dict):
    """The config as a hook gets it, noting the top-level keys it assigns.

    So a key a plugin sets again to the value it had (a re-run, a config.yaml
    restored from a backup) is still seen as written by it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.assigned: set[str] = set()

    def __setitem__(self, key, value):
        self.assigned.add(key)
        super().__setitem__(key, value)

    def setdefault(self, key, default=None):
        self.assigned.add(key)
        return super().setdefault(key, default)

    def update(self, *args, **kwargs):
        other = dict(*args, **kwargs)
        self.assigned.update(other)
        super().update(other)


def written_keys(before: Mapping, after: WriteWatcher) -> list[str]:
    """Top-level keys a hook assigned, added or changed."""
    changed = {key for key in after if key not in before or before[key] != after[key]}
    return sorted(changed | (after.assigned & set(after)))
