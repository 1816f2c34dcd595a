"""Sizes as config.yaml writes them (`512M`, `1.5G`) and as tljh-lite prints them.

One grammar for memory and disk limits, JupyterHub's ByteSpecification's:
a number and K, M, G or T, each 1024 times the one before.
"""

from __future__ import annotations

import math
import re

UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
SIZE_PATTERN = r"(?=.*[1-9])[0-9]+(\.[0-9]+)?[KMGT]"  # not zero: '0G' is no limit anyone means


def is_size(text: str) -> bool:
    return re.fullmatch(SIZE_PATTERN, text) is not None


def size_bytes(text: str) -> int:
    """'50M' -> 52428800; '1.5G' -> 1610612736 (rounded up to a whole byte)."""
    if not is_size(text):
        raise ValueError(f"not a size like 512M or 1G: {text!r}")
    return math.ceil(float(text[:-1]) * UNITS[text[-1]])


def show_bytes(n: float | None) -> str:
    """A size for people: '812 KiB', '50.0 MiB', '1.2 GiB'; '-' for unknown."""
    if n is None:
        return "-"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit in ("bytes", "KiB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
