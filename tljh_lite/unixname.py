"""The unix account behind each hub user: `jupyter-<name>`, at most 32 characters.

Long names are cut and given a short hash so two long names never share an
account. The rule is TLJH's, so accounts made by TLJH keep their owners when a
TLJH machine moves to tljh-lite.
"""

from __future__ import annotations

import hashlib

PREFIX = "jupyter-"
MAX_LENGTH = 32  # what useradd accepts on Debian and Ubuntu
_KEEP = 26  # characters kept before "-" and a 5-character hash


def unix_username(hub_username: str) -> str:
    name = PREFIX + hub_username
    if len(name) < _KEEP:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:5]
    return f"{name[:_KEEP]}-{digest}"
