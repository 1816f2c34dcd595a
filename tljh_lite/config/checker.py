"""Checking config.yaml: against the schema, then the rules across keys, in words a professor reads.

jsonschema finds the problems; `Checker` turns each into one sentence that
names the key, what it takes and what it got, with "did you mean" for typos.
`config_checker` is the one way to get the Checker of this machine: the
built-in keys plus installed plugins'; `load_config` is what plugins call.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Callable, Mapping, Sequence

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .defaults import DEFAULTS, merged
from .formats import describe_format, format_checker
from .owned import owned_by, read_owned
from .problems import Problem, display_key, with_count
from .rules import BUILT_IN_RULES
from .schema import build_schema, known_keys, lookup, with_owned_keys
from .values import show_value

TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys to values",
    "null": "none",
}

# Keys that other tools use and that mean nothing here, with what to do instead.
FOREIGN_KEYS = {
    "traefik_api": "tljh-lite uses configurable-http-proxy, not traefik; remove the traefik_api section",
}


class Checker:
    """Validates configs against one schema (built once, reused), then cross-key rules."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        rules: Sequence[Callable[[Mapping], list[Problem]]] = (),
        defaults: Mapping[str, Any] = DEFAULTS,
    ):
        self.schema = schema
        self.rules = list(rules)
        self.defaults = defaults
        self._validator = Draft202012Validator(schema, format_checker=format_checker())
        self._known = sorted(set(known_keys(schema)))

    def accepting(self, owned: Mapping[str, str]) -> "Checker":
        """The same checker, also accepting these plugin-owned top-level keys unchecked."""
        return Checker(with_owned_keys(self.schema, owned), self.rules, self.defaults)

    def problems(self, config: Any) -> list[Problem]:
        """Everything wrong with a config: schema problems, else rule problems."""
        return self.schema_problems(config) or self.rule_problems(config)

    def schema_problems(self, config: Any) -> list[Problem]:
        found = [self._describe(e) for e in self._validator.iter_errors(plain(config))]
        unique = {(p.key, p.message): p for p in found}
        return sorted(unique.values(), key=lambda p: (p.key, p.message))

    def rule_problems(self, config: Any) -> list[Problem]:
        """Cross-key problems of a config that passes the schema."""
        full = self.merged(config)
        return [problem for rule in self.rules for problem in rule(full)]

    def merged(self, config: Any) -> dict[str, Any]:
        """The config in effect: defaults (plugins' included) overlaid with the file's."""
        return merged(plain(config), self.defaults)

    def check(self, config: Any) -> None:
        """Raise ConfigError naming the first problem, if any."""
        problems = self.problems(config)
        if problems:
            raise with_count(problems[0], len(problems)).as_error()

    def unknown_key(self, dotted: str) -> Problem:
        """The error for a key path the schema does not have."""
        parent, _, name = dotted.rpartition(".")
        siblings = list((lookup(self.schema, parent.split(".")) or {}).get("properties", {})) if parent else []
        sibling = difflib.get_close_matches(name, siblings, n=1, cutoff=0.6)
        # A sibling first: groups.tas.limits.memroy -> groups.tas.limits.memory, not limits.memory.
        hint = f"did you mean {parent}.{sibling[0]}?" if sibling else self._suggest(dotted, self._known)
        return Problem(dotted, f"unknown key {dotted}", hint)

    def _describe(self, error: ValidationError) -> Problem:
        path = list(error.absolute_path)
        key = display_key(path)
        if error.validator == "additionalProperties":
            return self._describe_unknown(error, path)
        if "propertyNames" in error.relative_schema_path:
            # The error is about a key's name; its path is the mapping holding it.
            words = error.schema.get("x-expected") or _expected(error.schema)
            return Problem(key, f"{key} has a key {show_value(error.instance)} that is not {words}")
        if error.validator == "uniqueItems":
            return Problem(key, f"{key} lists the same value twice", "remove the duplicate")
        words = error.schema.get("x-expected") or _expected(error.schema, only_type=error.validator == "type")
        return Problem(key, f"{key} must be {words}, not {show_value(error.instance)}")

    def _describe_unknown(self, error: ValidationError, path: list[Any]) -> Problem:
        schema = error.schema
        allowed = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        extras = sorted(
            k for k in error.instance if k not in allowed and not any(re.search(p, k) for p in patterns)
        )
        name = extras[0] if extras else "?"
        dotted = display_key([*path, name])
        if not path and name in FOREIGN_KEYS:
            return Problem(dotted, f"unknown key {dotted}", FOREIGN_KEYS[name])
        parent = display_key(path) + "." if path else ""
        sibling = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {parent}{sibling[0]}?" if sibling else self._suggest(dotted, self._known)
        return Problem(dotted, f"unknown key {dotted}", hint)

    @staticmethod
    def _suggest(name: str, candidates: list[str]) -> str | None:
        match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        if match:
            return f"did you mean {match[0]}?"
        tops = sorted({c.split(".")[0] for c in candidates})
        return f"valid keys here: {', '.join(tops)}" if tops else None


def _expected(schema: Mapping[str, Any], only_type: bool = False) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(show_value(v) for v in schema["enum"])
    if "format" in schema and not only_type:
        return describe_format(schema["format"])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    words = " or ".join(TYPE_WORDS.get(k, k) for k in kinds) or "valid"
    bounds = []
    if "minimum" in schema:
        bounds.append(f"at least {schema['minimum']}")
    if "exclusiveMinimum" in schema:
        bounds.append(f"more than {schema['exclusiveMinimum']}")
    if "maximum" in schema:
        bounds.append(f"at most {schema['maximum']}")
    return words + (f" ({', '.join(bounds)})" if bounds else "")


def plain(value: Any) -> Any:
    """ruamel's round-trip types -> plain dict/list/scalars for jsonschema."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def config_checker(pm=None, paths=None) -> Checker:
    """Schema, rules and defaults, with the sections and defaults of installed plugins.

    `pm` is a loaded plugin manager; without one, plugins are loaded here.
    With `paths`, the keys installed plugins without a schema wrote at install
    (config/owned.py) are accepted unchecked.
    """
    from ..plugins import config_defaults, plugin_manager, schema_sections

    pm = pm or plugin_manager()
    schema = build_schema(schema_sections(pm))
    if paths is not None:
        owned = owned_by(read_owned(paths), (name for name, _ in pm.list_name_plugin()))
        schema = with_owned_keys(schema, owned)
    return Checker(schema, BUILT_IN_RULES, {**DEFAULTS, **config_defaults(pm)})


def load_config(paths=None, config_file=None) -> dict:
    """config.yaml in effect, checked: defaults (plugins' included) overlaid with the file.

    For plugins: `from tljh_lite.config.checker import load_config`. Raises
    ConfigError if the file is invalid, so a hand-edited bad value never
    reaches a plugin unchecked. `config_file` reads another file than
    paths.config_file (TLJH's load_config takes one).
    """
    from ..paths import Paths
    from ..plugins import installed_plugins
    from .file import ConfigFile

    paths = paths or Paths.from_environ()
    checker = config_checker(installed_plugins(), paths)
    config = ConfigFile(config_file or paths.config_file).load()
    checker.check(config)
    return checker.merged(config)
