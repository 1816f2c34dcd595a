"""Students' homes as one archive per user, owned 1000:100 and named for the chart's home volume.

The chart gives each user a volume (PVC) named by `pvcNameTemplate`, which
values.yaml sets to KubeSpawner's default, `claim-{user_server}`: for a
user's default server that is `claim-` and her name made safe for
Kubernetes by KubeSpawner's "safe" slug scheme (its default since 7.0): a
name that already is a valid object name (lowercase letters, digits and
single hyphens, a letter first, at most 48 characters) is kept; any other
becomes its safe part, `---`, and 8 hex digits of its SHA-256, so no two
names share a volume. Inside, the chart runs her server as uid 1000, gid 100.

homes.sh archives with GNU tar: `--sparse`, so a student's `truncate -s 16T`
file is its data only (GNU tar finds holes with SEEK_HOLE), not terabytes
of zeros; `--owner`/`--group` with `--numeric-owner`, so every member is
1000:100 whatever the names on either machine; no `--acls` or `--xattrs`
(the old machine's names mean nothing in the cluster); symlinks kept as
symlinks (never followed), hard links as links, modes as they are.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from typing import Iterable

from ..unixname import unix_username

UID, GID = 1000, 100  # the chart's singleuser.uid and singleuser.fsGid
SLUG_MAX = 48  # KubeSpawner's limit for one name inside a template
_HASH = 8
_VALID = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$")


def volume_name(username: str) -> str:
    """The PVC KubeSpawner creates for a user's default server with `claim-{user_server}`."""
    slug = safe_slug(username)
    if len(slug) + 2 > SLUG_MAX:
        # KubeSpawner's {user_server} for a name this long: user and (empty) server name, one hash.
        digest = hashlib.sha256(username.encode("utf8") + b"\xff").hexdigest()[:_HASH]
        part = (SLUG_MAX - _HASH - 1) // 2 - 2
        slug = f"{_safe_part(username, part)}--{_safe_part('', part)}---{digest}"
    return f"claim-{slug}"


def safe_slug(name: str, max_length: int = SLUG_MAX) -> str:
    if "--" not in name and len(name) <= min(max_length, 63) and _VALID.match(name):
        return name
    digest = hashlib.sha256(name.encode("utf8")).hexdigest()[:_HASH]
    return f"{_safe_part(name, max_length - (_HASH + 3))}---{digest}"


def _safe_part(name: str, keep: int) -> str:
    """Lowercase letters, digits and single hyphens, a letter first, at most `keep` characters."""
    safe = re.sub(r"[^a-z0-9]+", "-", name.lower()).lstrip("-")[:keep].rstrip("-")
    if safe and not safe[0].isalpha():
        safe = "x-" + safe[: keep - 2]
    return safe or "x"


def homes_script(usernames: Iterable[str], home_root: str = "/home") -> str:
    """homes.sh: run as root on the old hub; writes OUT/claim-NAME.tar.gz for every home there is."""
    lines = [HEADER]
    for name in sorted(set(usernames)):
        home = f"{home_root}/{unix_username(name)}"
        lines.append(f"archive {shlex.quote(name)} {shlex.quote(home)} {shlex.quote(volume_name(name))}")
    return "\n".join(lines) + "\n"


HEADER = f"""\
#!/bin/sh
# The students' homes for Zero to JupyterHub: one archive per user, named for her home volume
# (claim-NAME, the chart's pvcNameTemplate in values.yaml), with every file owned {UID}:{GID}, the uid
# and gid the chart runs servers as. Run as root on the old hub:  sudo sh homes.sh [OUT]
# then put each archive into its volume (docs/scale-out.md of tljh-lite, "Homes").
set -eu
OUT="${{1:-homes}}"
umask 077
mkdir -p "$OUT"

archive() {{  # user, home, volume
    if [ -d "$2" ]; then
        tar --create --gzip --sparse --file "$OUT/$3.tar.gz" --directory "$2" \\
            --numeric-owner --owner={UID} --group={GID} .
        echo "$1: $2 -> $OUT/$3.tar.gz"
    else
        echo "$1: no home at $2 (never started a server): nothing to move"
    fi
}}
"""
