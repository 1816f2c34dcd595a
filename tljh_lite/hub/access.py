"""Plugins' JupyterHub services, roles and groups, and unix groups, added to the hub's settings (pure).

Each plugin's `tljh_lite_hub_access(config)` answer (hooks.py) is merged
into the settings `hub_settings` made from config.yaml: services and roles
appended, groups added to `load_groups` (their members kept exact at each
start, as config.yaml's groups: `hub.startup`), unix groups added to the
spawner's `user_groups`. A service name taken twice is an error naming the
plugin, never a service silently replaced. `unix_groups` is the same
merge for the spawner, which reads it again at each server start.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..errors import TljhError
from .settings import Settings

KEYS = ("services", "roles", "groups", "unix_groups")


def with_plugin_access(settings: Settings, answers: Iterable[tuple[str, Mapping[str, Any] | None]]) -> Settings:
    """A copy of `settings` with every plugin's services, roles, groups and unix groups added."""
    out = {cls: dict(traits) for cls, traits in settings.items()}
    hub = out.setdefault("JupyterHub", {})
    services = list(hub.get("services", []))
    roles = list(hub.get("load_roles", []))
    groups = {name: {"users": list(spec.get("users", []))} for name, spec in hub.get("load_groups", {}).items()}
    spawner = out.setdefault("UserCreatingSpawner", {})
    unix_groups = {name: list(members) for name, members in spawner.get("user_groups", {}).items()}
    for plugin, answer in answers:
        answer = answer or {}
        unknown = sorted(set(answer) - set(KEYS))
        if unknown:
            raise TljhError(f"plugin {plugin}'s tljh_lite_hub_access returned an unknown key {unknown[0]!r}",
                            f"it may return {', '.join(KEYS)}; report it to the plugin's authors")
        taken = {service["name"] for service in services}
        for service in answer.get("services", []):
            if service["name"] in taken:
                raise TljhError(f"plugin {plugin} adds a JupyterHub service named {service['name']!r}, "
                                "a name that is taken", "rename what clashes (a course of that name?)")
            taken.add(service["name"])
            services.append(dict(service))
        roles += [dict(role) for role in answer.get("roles", [])]
        for name, members in answer.get("groups", {}).items():
            group = groups.setdefault(name, {"users": []})
            group["users"] = _union(group["users"], members)
        for name, members in answer.get("unix_groups", {}).items():
            unix_groups[name] = _union(unix_groups.get(name, []), members)
    hub["services"], hub["load_roles"] = services, roles
    if groups:
        hub["load_groups"] = groups
    spawner["user_groups"] = unix_groups
    return out


def unix_groups(config: Mapping[str, Any], answers: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dict[str, list[str]]:
    """{unix group: hub users}: users.extra_user_groups and every plugin's unix_groups (a merged config)."""
    groups = {name: list(members) for name, members in config["users"]["extra_user_groups"].items()}
    for _plugin, answer in answers:
        for name, members in (answer or {}).get("unix_groups", {}).items():
            groups[name] = _union(groups.get(name, []), members)
    return groups


def exact_groups(answers: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dict[str, list[str]]:
    """{hub group: members} of every plugin group, whose membership the hub keeps exact."""
    groups: dict[str, list[str]] = {}
    for _plugin, answer in answers:
        for name, members in (answer or {}).get("groups", {}).items():
            groups[name] = _union(groups.get(name, []), members)
    return groups


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))
