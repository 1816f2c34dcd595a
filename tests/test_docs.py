"""The documentation says what the code does."""

import re
from pathlib import Path

from tljh_lite.config.defaults import DEFAULTS
from tljh_lite.config.schema import BASE_SCHEMA, known_keys
from tljh_lite.config.values import show_value

DOCS = Path(__file__).parent.parent / "docs" / "config.md"


def flatten(mapping, prefix=()):
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            yield from flatten(value, prefix + (key,))
        else:
            yield ".".join(prefix + (key,)), value


def documented_defaults():
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]*)` \|", DOCS.read_text(), flags=re.M)
    return dict(rows)


def test_every_default_is_documented_with_the_value_the_code_uses():
    code = {key: show_value(value) for key, value in flatten(DEFAULTS)}
    assert documented_defaults() == code


def test_every_leaf_key_of_the_schema_has_a_default():
    leaves = {k for k in known_keys(BASE_SCHEMA) if not any(o.startswith(k + ".") for o in known_keys(BASE_SCHEMA))}
    defaults = {key for key, _ in flatten(DEFAULTS) if not key.startswith("auth.FirstUse")}
    assert leaves == defaults
