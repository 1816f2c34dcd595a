"""Pure edits of a config tree (mappings and lists, addressed by a key path): each takes a
config and returns a new one.

The input is never mutated (tests check this), so a failed edit cannot leave
a half-changed config behind. Comments and key order survive because the
round-trip mapping is deep-copied with its formatting.
"""

from __future__ import annotations

import copy
from typing import Any, Iterable, Mapping

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import ConfigError

MISSING = object()  # "absent", as opposed to a key set to none


def get_item(config: Mapping, path: list[str]) -> Any:
    """The value at path, or MISSING."""
    node: Any = config
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return node


def set_item(config: Mapping, path: list[str], value: Any) -> CommentedMap:
    new = _copy(config)
    parent = _parent(new, path, create=True)
    parent[path[-1]] = value
    return new


def unset_item(config: Mapping, path: list[str]) -> CommentedMap:
    """Remove the key, and any mappings left empty by that (as TLJH does)."""
    if get_item(config, path) is MISSING:
        raise ConfigError(f"{'.'.join(path)} is not set", "nothing to unset")
    new = _copy(config)
    chain = [new]
    for part in path[:-1]:
        chain.append(chain[-1][part])
    del chain[-1][path[-1]]
    for depth in range(len(path) - 1, 0, -1):
        if chain[depth]:
            break
        del chain[depth - 1][path[depth - 1]]
    return new


def add_item(config: Mapping, path: list[str], value: Any) -> CommentedMap:
    new = _copy(config)
    _list_at(new, path).append(value)
    return new


def _list_at(new: CommentedMap, path: list[str]) -> list:
    """The list at path in a fresh copy (made when missing); an error if something else is there."""
    parent = _parent(new, path, create=True)
    items = parent.get(path[-1])
    if items is None:
        items = parent[path[-1]] = CommentedSeq()
    elif not isinstance(items, list):
        raise ConfigError(f"{'.'.join(path)} is not a list", "use tljh-config set for single values")
    return items


def remove_item(config: Mapping, path: list[str], value: Any) -> CommentedMap:
    items = get_item(config, path)
    dotted = ".".join(path)
    if items is MISSING or items is None:
        raise ConfigError(f"{dotted} is empty, so {value!r} is not in it", "tljh-config get shows a key's value")
    if not isinstance(items, list):
        raise ConfigError(f"{dotted} is not a list", "use tljh-config unset to remove a single value")
    if value not in items:
        have = ", ".join(str(v) for v in items) or "nothing"
        raise ConfigError(f"{value!r} is not in {dotted}", f"it has: {have}")
    new = _copy(config)
    _parent(new, path, create=False)[path[-1]].remove(value)
    return new


def update_list(config: Mapping, path: list[str], add: Iterable[Any] = (), remove: Iterable[Any] = ()) -> CommentedMap:
    """Many items in and out of one list at once (a class roster): one copy, not one per item.

    Items to remove that the list lacks, and items to add that it has, are
    skipped; a missing list is made.
    """
    new = _copy(config)
    items = _list_at(new, path)
    for value in remove:
        if value in items:
            items.remove(value)
    for value in add:
        if value not in items:
            items.append(value)
    return new


def synced(config: Mapping, target: Mapping) -> CommentedMap:
    """A copy of config whose contents equal target, keeping the comments of keys that stay.

    For changes made to a plain dict (by a plugin's tljh_config_post_install).
    """
    new = _copy(config)
    _sync_into(new, target)
    return new


def _sync_into(node: CommentedMap, target: Mapping) -> None:
    for key in [k for k in node if k not in target]:
        del node[key]
    for key, value in target.items():
        if isinstance(value, Mapping) and isinstance(node.get(key), Mapping):
            _sync_into(node[key], value)
        elif key not in node or type(node[key]) is not type(value) or node[key] != value:
            node[key] = _to_commented(value)


def _copy(config: Mapping) -> CommentedMap:
    if isinstance(config, CommentedMap):
        return copy.deepcopy(config)
    return _to_commented(config)


def _to_commented(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _to_commented(v)
        return out
    if isinstance(value, list):
        return CommentedSeq(_to_commented(v) for v in value)
    return value


def _parent(config: CommentedMap, path: list[str], create: bool) -> Any:
    node = config
    for depth, part in enumerate(path[:-1]):
        child = node.get(part)
        if child is None and create:
            child = node[part] = CommentedMap()
        if not isinstance(child, Mapping):
            where = ".".join(path[: depth + 1])
            raise ConfigError(
                f"{where} holds a single value, so {'.'.join(path)} cannot be set below it",
                f"unset {where} first if you meant to replace it",
            )
        node = child
    return node
