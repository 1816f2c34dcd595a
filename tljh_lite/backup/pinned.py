"""The archive restore reads, pinned: the very bytes it checked are the bytes it puts back.

Restore reads an archive twice: once to check all of it, once to put it
back. Opened by name twice, a file swapped in between (by whoever can write
it, or its folder) would be put back unchecked. So it is opened once: a
file only root can change (root's, not writable by group or others) is
read through that one descriptor both times; any other file is first
copied, as it is read, into a private file of root's that no one else can
open (an unnamed temporary file in the state folder), and that copy is
read both times.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import BackupError

CHUNK = 1 << 20


def root_only(st: os.stat_result) -> bool:
    """A regular file no one but root can change."""
    return stat.S_ISREG(st.st_mode) and st.st_uid == 0 and not st.st_mode & 0o022


@contextlib.contextmanager
def pinned(path: Path, private_dir: Path) -> Iterator[BinaryIO]:
    """The archive as one open file that cannot change between restore's check and its extraction."""
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise BackupError(f"cannot read {path}: {e.strerror}", "check the path (and run with sudo)") from None
    with raw:
        st = os.fstat(raw.fileno())
        if root_only(st):
            yield raw
            return
        fix = (f"or make it root's and not writable by others, so it is read in place: sudo chown root: {path} "
               f"&& sudo chmod go-w {path}")
        if stat.S_ISREG(st.st_mode) and shutil.disk_usage(private_dir).free < st.st_size:
            raise BackupError(f"{path} is not root's alone, and {private_dir} has no room for a private copy of it",
                              f"free some space, {fix}; nothing was changed")
        with tempfile.TemporaryFile(dir=private_dir) as copy:
            try:
                shutil.copyfileobj(raw, copy, CHUNK)
                copy.flush()
            except OSError as e:
                if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise BackupError(f"cannot read {path}: {e.strerror}", "check the file; nothing was changed") \
                        from None
                raise BackupError(f"no room in {private_dir} for a private copy of {path}",
                                  f"free some space, {fix}; nothing was changed") from None
            yield copy
