"""The Zero to JupyterHub chart's own check of values: merged over its defaults, then validated.

Helm validates the merge of the chart's values.yaml and the user's values
against values.schema.yaml; so do we, with the files vendored in chart/
(see chart/README.md for their source and commit).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

CHART_DIR = Path(__file__).parent / "chart"


def _load(name: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load((CHART_DIR / name).read_text())


@lru_cache(maxsize=None)
def _schema() -> dict:
    return _load("values.schema.yaml")


@lru_cache(maxsize=None)
def _defaults() -> dict:
    return _load("values.yaml")


def chart_defaults() -> dict:
    return copy.deepcopy(_defaults())


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict:
    """Helm's merge of values: mappings merge key by key, anything else (lists too) replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def problems(*values: Mapping[str, Any]) -> list[str]:
    """Why the chart would refuse these values (each file merged in turn over its defaults), or []."""
    import jsonschema

    merged = chart_defaults()
    for layer in values:
        merged = merge(merged, layer)
    validator = jsonschema.Draft7Validator(_schema())
    found = sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in found]
