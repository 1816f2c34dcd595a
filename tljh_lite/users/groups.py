"""config.yaml's groups: JupyterHub groups, and limits for their members' servers (pure).

    groups:
      tas:
        users: [tom, tina]
        limits: {memory: 4G, cpu: 2}

Each group becomes a JupyterHub group (`JupyterHub.load_groups`). Its limits
reach a member's unit (`MemoryMax=`, `CPUQuota=`, from SystemdSpawner's
`mem_limit` and `cpu_limit`) through `Spawner.group_overrides`, which
JupyterHub applies before every start in the sorted order of its keys, each
matching entry over the one before. So the keys sort each kind of limit by
size: a student in several groups gets the largest, `none` (no limit) being
the largest of all. A group that does not set a limit leaves it alone, and
`limits.*` stays the limit of everyone in no group.

A disk limit is not the server's but her account's (the kernel's quota,
quotas/): the spawner sets it when it makes her account (`disk_limit`, the
same overrides), and reload for every account, through `limit_of`, which
applies the same overrides the same way so the two never disagree.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from ..sizes import size_bytes

LIMITS: dict[str, tuple[str, Callable[[Any], float]]] = {
    # config key: (Spawner trait, size for ordering)
    "memory": ("mem_limit", size_bytes),
    "cpu": ("cpu_limit", float),
    "disk": ("disk_limit", size_bytes),  # UserCreatingSpawner's (hub/spawner.py)
}


def load_groups(config: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """JupyterHub.load_groups: each group with its members."""
    return {name: {"users": list(group.get("users") or [])} for name, group in config["groups"].items()}


def group_overrides(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Spawner.group_overrides: one entry per group and limit, keys sorted smallest limit first."""
    overrides: dict[str, dict[str, Any]] = {}
    for kind, (trait, size) in LIMITS.items():
        limited = [(name, (group.get("limits") or {})[kind]) for name, group in config["groups"].items()
                   if kind in (group.get("limits") or {})]
        limited.sort(key=lambda item: (math.inf if item[1] is None else size(item[1]), item[0]))
        for rank, (name, value) in enumerate(limited):
            value = float(value) if kind == "cpu" and value is not None else value
            overrides[f"{kind}-{rank:04d}-{name}"] = {"groups": [name], "spawner_override": {trait: value}}
    return overrides


def limit_of(config: Mapping[str, Any], name: str, kind: str) -> Any:
    """The limit of this kind that user `name` gets: what the hub does with group_overrides
    (JupyterHub's Spawner.apply_group_overrides: matching entries in key order, each over
    the one before), from `limits.<kind>`."""
    trait = LIMITS[kind][0]
    member_of = set(groups_of(config, name))
    value = config["limits"][kind]
    for _key, override in sorted(group_overrides(config).items()):
        if member_of & set(override["groups"]) and trait in override["spawner_override"]:
            value = override["spawner_override"][trait]
    return value


def groups_of(config: Mapping[str, Any], name: str) -> list[str]:
    """The groups config.yaml puts a user in."""
    return [group for group, spec in config["groups"].items()
            if name.lower() in {member.lower() for member in spec.get("users") or []}]
