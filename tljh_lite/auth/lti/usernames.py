"""An LMS's name for a person (user id, login, email) as a hub name that is safe everywhere it goes.

A hub name becomes a URL path (`/user/<name>/`), the unix account
`jupyter-<name>` (`tljh_lite.unixname`) and a systemd unit of the same name, so
it keeps to lowercase letters, digits, '.', '_' and '-' and starts with a letter or
digit. A name already like that is kept as it is (Moodle's user id `42`, a login
`jsmith`). Any other is made of its safe parts plus a hash of the whole
(`Ana María` -> `ana-mar-a-<16 hex digits>`, `ana@uni.edu` -> `ana-uni.edu-<...>`): the
same person always gets the same name, and two LMS names never share a hub account.
A name that is safe but ends like a hashed one (`-` and 16 hex digits) is hashed too,
so nobody who may choose her LMS login can take over the name another one was given.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SAFE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_UNSAFE_RUN = re.compile(r"[^a-z0-9._-]+")
_LOOKS_HASHED = re.compile(r".*-[0-9a-f]{16}")
_KEEP = 40  # characters of the safe parts kept before the hash
_HASH = 16  # 64 bits: finding a name that collides with a given one is out of reach


def hub_username(lms_name: str) -> str:
    """The hub name for an LMS's name; raises ValueError for an empty one."""
    name = unicodedata.normalize("NFKC", str(lms_name)).strip().lower()
    if not name:
        raise ValueError("an empty name")
    if _SAFE.fullmatch(name) and not name.endswith((".", "-")) and not _LOOKS_HASHED.fullmatch(name):
        return name
    parts = _UNSAFE_RUN.sub("-", name).strip("-._")[:_KEEP].rstrip("-._")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH]
    return f"{parts}-{digest}" if parts else f"lti-{digest}"
