"""The one round-trip YAML setup used for config.yaml.

Round-trip mode keeps the professor's comments, key order and quoting through
every edit; all loading and dumping of config.yaml goes through here so the
settings live in one place.
"""

from __future__ import annotations

import io

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from ..errors import ConfigError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    # ruamel's default indentation, which is what TLJH writes: its files keep
    # their look when we edit them.
    return yaml


def loads(text: str, source: str = "config.yaml") -> CommentedMap:
    """Parse config text; an empty file is an empty mapping."""
    try:
        data = _yaml().load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(
            f"{source} is not valid YAML{where}: {problem}",
            "fix the file by hand (sudo nano it), then run tljh-config validate",
        ) from e
    if data is None:
        # Only comments (or nothing): keep the comments for the next edit.
        empty = CommentedMap()
        notes = [line[1:].removeprefix(" ") for line in text.splitlines() if line.lstrip().startswith("#")]
        if notes:
            empty.yaml_set_start_comment("\n".join(notes))
        return empty
    if not isinstance(data, CommentedMap):
        raise ConfigError(
            f"{source} must be a mapping of keys to values, not {type(data).__name__}",
            "start the file with a key such as 'users:'",
        )
    return data


def dumps(data) -> str:
    """Serialise config data; an empty mapping is an empty file (with its comments)."""
    out = io.StringIO()
    _yaml().dump(data, out)
    text = out.getvalue()
    if not data:
        # ruamel writes an empty mapping as "{}"; the file just keeps its comments.
        return "".join(line for line in text.splitlines(keepends=True) if line.strip() != "{}")
    return text
