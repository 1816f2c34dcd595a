"""Turning command-line words into config keys and values, as TLJH does."""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import ConfigError

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+)")


def parse_value(text: str) -> Any:
    """TLJH's rules: none, integers, floats, true/false (any case), else text.

    Unlike TLJH, a leading sign is allowed, so `-1` and `-0.5` are numbers.
    """
    lowered = text.lower()
    if lowered == "none":
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return text


def parse_key(key: str) -> list[str]:
    """'limits.memory' -> ['limits', 'memory']."""
    parts = key.split(".")
    if not key or any(part == "" for part in parts):
        raise ConfigError(
            f"'{key}' is not a config key",
            "keys are names joined by dots, like limits.memory",
        )
    return parts


def show_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)
