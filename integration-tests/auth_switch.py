"""The session's hub switched to another authenticator for one test module, and put back.

A professor's steps: `tljh-config` lines, then `reload`. Afterwards config.yaml
is restored byte for byte and reloaded, the hub leaves the docker network of
the module's login server, and the people who logged in meanwhile (and the
groups the authenticator made) are deleted from the hub and the machine, so
later modules see the hub as it was.
"""

from __future__ import annotations

import contextlib
import io
import shlex
from collections.abc import Callable, Iterator, Sequence

from ruamel.yaml import YAML

from containers import Network
from installed import InstalledHub

CONFIG = "/opt/tljh/config/config.yaml"


@contextlib.contextmanager
def config_restored(hub: InstalledHub, people: Sequence[str] = (), groups: Sequence[str] = (),
                    proxy: bool = False) -> Iterator[str]:
    """Yields config.yaml as found; afterwards puts it back byte for byte, reloads, and deletes
    `people` (hub users, unix accounts, homes) and the hub `groups` made meanwhile (the hub keeps
    an admin's rights after config.yaml stops naming her). `proxy`: the http/https keys changed
    meanwhile, so the proxy is reloaded too (first: the admin's client uses the hub's plain URL)."""
    before = hub.sh(f"cat {CONFIG}").stdout
    try:
        yield before
    finally:
        hub.container.write_file(CONFIG, before, mode=0o600)
        if proxy:
            hub.tljh_config("reload", "proxy")
        hub.tljh_config("reload")
        admin = hub.admin()
        for name in people:
            admin.delete_user(name)
            hub.sh(f"userdel -r jupyter-{name} 2>/dev/null", check=False)
        for group in groups:
            admin.delete_group(group)


def edited_by_hand(hub: InstalledHub, before: str, change: Callable[[dict], None]) -> None:
    """config.yaml as `before`, changed by `change(dict)`, written as someone with an editor would."""
    yaml = YAML()
    config = yaml.load(before) or {}
    change(config)
    out = io.StringIO()
    yaml.dump(config, out)
    hub.container.write_file(CONFIG, out.getvalue(), mode=0o600)


@contextlib.contextmanager
def auth_switched(hub: InstalledHub, network: Network, settings: Sequence[Sequence[str]],
                  people: Sequence[str], groups: Sequence[str] = (),
                  files: dict[str, str] | None = None) -> Iterator[None]:
    """`settings`: tljh-config argument lists (set/add-item ...); `groups`: hub groups the
    authenticator makes (manage_groups), deleted afterwards; `files`: written on the hub first."""
    network.connect(hub.container)
    try:
        with config_restored(hub, people, groups):
            for path, content in (files or {}).items():
                hub.container.write_file(path, content)
            # One shell for all the lines (each stops the chain if refused), then the reload.
            hub.sh(" && ".join(shlex.join(["tljh-config", *args]) for args in settings), timeout=300)
            hub.tljh_config("reload")
            yield
    finally:
        if files:
            hub.sh(["rm", "-f", *files])
        network.disconnect(hub.container)
