"""The schema-aware edits behind `tljh-config set/unset/add-item/remove-item`.

Each operation takes the current config and command-line words and returns a
`Change`: the new config and a sentence saying what happened. It refuses an
edit that would introduce a problem (an unknown key, a wrong type, a list set
as a single value). A file that already had problems can still be repaired:
only problems the edit itself adds are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import ConfigError
from . import tree
from .schema import accepts_type, json_type_of, lookup
from .checker import Checker
from .problems import Problem, with_count
from .values import show_value
from .values import parse_key, parse_value


@dataclass
class Change:
    config: Mapping[str, Any]
    summary: str
    changed: bool = True
    warnings: list[str] = field(default_factory=list)


class Editor:
    def __init__(self, checker: Checker):
        self.checker = checker

    def set(self, config: Mapping, key: str, raw: str) -> Change:
        path, schema = self._known(key)
        if _only(schema, "array"):
            raise ConfigError(
                f"{key} is a list, so it cannot be set to a single value",
                f"use: tljh-config add-item {key} {raw}",
            )
        if _only(schema, "object"):
            subkeys = ", ".join(f"{key}.{k}" for k in schema.get("properties", {})) or f"{key}.<name>"
            raise ConfigError(f"{key} is a section, not a single value", f"set one of its keys: {subkeys}")
        value = _coerce(raw, schema)
        old = tree.get_item(config, path)
        if old is not tree.MISSING and _same(old, value):
            return Change(config, f"{key} is already {show_value(value)}; nothing changed", changed=False)
        new = tree.set_item(config, path, value)
        was = "not set" if old is tree.MISSING else show_value(old)
        return self._accept(config, new, f"{key} set to {show_value(value)} (was {was})")

    def unset(self, config: Mapping, key: str) -> Change:
        path, _schema = self._known(key)
        if tree.get_item(config, path) is tree.MISSING:
            return Change(config, f"{key} is not set in the file; nothing changed", changed=False)
        return self._accept(config, tree.unset_item(config, path), f"{key} unset (back to its default)")

    def add_item(self, config: Mapping, key: str, raw: str) -> Change:
        path, schema = self._list(key, "add-item", "set")
        value = _coerce(raw, schema.get("items", {}))
        items = tree.get_item(config, path)
        if isinstance(items, list) and any(_same(v, value) for v in items):
            return Change(config, f"{show_value(value)} is already in {key}; nothing changed", changed=False)
        return self._accept(config, tree.add_item(config, path, value), f"added {show_value(value)} to {key}")

    def remove_item(self, config: Mapping, key: str, raw: str) -> Change:
        path, schema = self._list(key, "remove-item", "unset")
        value = _coerce(raw, schema.get("items", {}))
        items = tree.get_item(config, path)
        if isinstance(items, list) and not any(_same(v, value) for v in items):
            # "123" on the command line may be stored as the text '123', or the other way round.
            value = next((v for v in items if str(v) == raw), value)
        return self._accept(
            config, tree.remove_item(config, path, value), f"removed {show_value(value)} from {key}"
        )

    def _known(self, key: str) -> tuple[list[str], Mapping[str, Any]]:
        path = parse_key(key)
        schema = lookup(self.checker.schema, path)
        if schema is None:
            raise self.checker.unknown_key(key).as_error()
        return path, schema

    def _list(self, key: str, verb: str, instead: str) -> tuple[list[str], Mapping[str, Any]]:
        path, schema = self._known(key)
        if not accepts_type(schema, "array"):
            raise ConfigError(f"{key} is not a list, so {verb} does not apply", f"use: tljh-config {instead} {key} ...")
        return path, schema

    def _accept(self, old: Mapping, new: Mapping, summary: str) -> Change:
        before = set(self.checker.schema_problems(old))
        after = self.checker.schema_problems(new)
        introduced = [p for p in after if p not in before]
        if introduced:
            raise with_count(introduced[0], len(introduced)).as_error()
        # Cross-key rules only warn here: tutorials set related keys one at a time.
        pending = after or self.checker.rule_problems(new)
        return Change(new, summary, warnings=[_warning(p) for p in pending])


def _warning(problem: Problem) -> str:
    hint = f"; {problem.hint}" if problem.hint else ""
    return f"config.yaml still has a problem to fix before reload: {problem.message}{hint}"


def _only(schema: Mapping[str, Any], json_type: str) -> bool:
    """The key takes this type and nothing else."""
    others = ("string", "number", "boolean", "null", "array", "object")
    return accepts_type(schema, json_type) and not any(
        accepts_type(schema, t) for t in others if t != json_type
    )


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """TLJH's value parsing, except that a key taking only text keeps the text.

    So `add-item users.allowed 2024` adds the username '2024', not a number.
    """
    value = parse_value(raw)
    if not accepts_type(schema, json_type_of(value)) and accepts_type(schema, "string"):
        return raw
    return value


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; in a config file they are different values.
    return json_type_of(a) == json_type_of(b) and a == b
