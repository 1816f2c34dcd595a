"""What a backup holds besides the hub's own files: accounts and homes, certificates, plugins and their data."""

from __future__ import annotations

import grp
import importlib.metadata
import json
import logging
import os
import pwd
import re
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urlparse

from ..https.files import Lineage
from ..plugins import ENTRY_POINT_GROUP, per_plugin
from ..unixname import PREFIX
from .manifest import CERTIFICATES, HOME, PLUGIN_DATA
from .roots import certificate_paths, data_folder, home_of

log = logging.getLogger("tljh_lite")


def accounts(plugin_accounts: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The hub's unix accounts (jupyter-*) and those plugins made (`plugin_accounts`, which are
    marked "plugin": True), their homes and their groups."""
    members: dict[str, list[str]] = {}
    for group in grp.getgrall():
        for name in group.gr_mem:
            members.setdefault(name, []).append(group.gr_name)
    extra = set(plugin_accounts)
    found = []
    for account in sorted(pwd.getpwall(), key=lambda a: a.pw_name):
        if not account.pw_name.startswith(PREFIX) and account.pw_name not in extra:
            continue
        entry = {"name": account.pw_name, "home": account.pw_dir, "groups": sorted(members.get(account.pw_name, []))}
        if not account.pw_name.startswith(PREFIX):
            entry["plugin"] = True
        found.append(entry)
    return found


def plugin_accounts(pm) -> list[str]:
    """The unix accounts plugins made (tljh_lite_unix_accounts), students' accounts left out."""
    return sorted({str(name) for _plugin, names in per_plugin(pm, "tljh_lite_unix_accounts") for name in names or []
                   if not str(name).startswith(PREFIX)})


def backed_up_homes(found: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """The accounts' homes a backup holds, and (home, why) for those it cannot: restore puts homes in /home."""
    kept, left_out = [], []
    for account in found:
        if not os.path.isdir(account["home"]):
            continue
        if account["home"] != home_of(account["name"]):
            left_out.append((account["home"], f"the home of {account['name']} is not {home_of(account['name'])}, "
                             "where restore puts it back: left out"))
            continue
        kept.append(account["home"])
    return kept, left_out


def installed_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def plugins() -> list[dict[str, str]]:
    """Installed plugin distributions, each with what restore gives pip to install it again."""
    found: dict[str, dict[str, str]] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry_point, "dist", None)
        if dist is None or dist.metadata["Name"] in found:
            continue
        name = dist.metadata["Name"]
        found[name] = {"name": name, "version": dist.version, "source": plugin_source(name, dist.version,
                                                                                      dist.read_text("direct_url.json"))}
    return sorted(found.values(), key=lambda p: p["name"].lower())


def user_packages(user_venv: Path) -> list[str]:
    """name==version of every package in the students' environment (admins add course packages there)."""
    sites = [str(site) for site in user_venv.glob("lib/python3*/site-packages")]
    found = {(d.metadata["Name"] or "", d.version) for d in importlib.metadata.distributions(path=sites)}
    return sorted(f"{name}=={version}" for name, version in found if name)


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def plugin_source(name: str, version: str, direct_url: str | None) -> str:
    """A pip requirement for the same plugin: its folder, VCS commit or URL (PEP 610), else name==version."""
    if not direct_url:
        return f"{name}=={version}"
    info = json.loads(direct_url)
    url = info.get("url", "")
    if "vcs_info" in info:
        vcs = info["vcs_info"]
        return f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}".rstrip("@")
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def plugin_data(pm) -> list[tuple[str, str]]:
    """(plugin, absolute path) for every folder a plugin asks to back up; bad paths are left out, with a warning."""
    wanted = []
    for plugin, paths in per_plugin(pm, "tljh_lite_backup_paths"):
        for path in paths or []:
            if not data_folder(str(path)):
                log.warning("plugin %s asks to back up %r, which is not a data folder: left out", plugin, path)
                continue
            wanted.append((plugin, str(path)))
    return wanted


def roots(config: Mapping[str, Any], homes: list[str], data: list[tuple[str, str]],
          lineage: Lineage = Lineage()) -> list[dict[str, str]]:
    """The folders and files to archive with everything below them, each once (none inside another)."""
    wanted = [{"path": home, "kind": HOME} for home in homes]
    wanted += [{"path": path, "kind": CERTIFICATES} for path in certificate_paths(config, lineage)]
    wanted += [{"path": path, "kind": PLUGIN_DATA, "plugin": plugin} for plugin, path in data]
    chosen: list[dict[str, str]] = []
    for root in sorted(wanted, key=lambda r: r["path"]):
        if not os.path.lexists(root["path"]):
            continue
        if any(root["path"] == c["path"] or root["path"].startswith(c["path"].rstrip("/") + "/") for c in chosen):
            continue
        chosen.append(root)
    return chosen
