"""A sudoers file is checked with `visudo -cf` before it is moved into place.

A broken file in /etc/sudoers.d breaks sudo for everyone, so it never lands.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..runner import Runner
from ..files import atomic_write


def ensure_sudoers(runner: Runner, target: Path, text: str) -> bool:
    try:
        if target.read_text() == text:
            return False
    except FileNotFoundError:
        pass

    # sudo skips files with a '.' in their name, so the staging copy is never read.
    staging = target.with_name(f".{target.name}.check")
    atomic_write(staging, text, 0o440)
    try:
        runner.run(["visudo", "-cf", str(staging)], hint="the sudoers file did not pass visudo; nothing was changed")
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    return True
