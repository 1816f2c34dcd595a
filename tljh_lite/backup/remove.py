"""Removing a tree a student could have made, before restore puts the backup's file in its place.

Iterative, with at most MAX_OPEN folders open at once: when that many are
open, a deeper folder is moved up to the top of the tree being removed
(renamed by descriptor, within the tree, so on the same filesystem) and
taken apart from there later. A tree 100,000 levels deep costs no more
descriptors than a flat one, and no recursion. Symlinks are removed, never
followed: every folder is opened with O_NOFOLLOW from the open folder
above it, never by path.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from typing import Iterator

from .walk import NOFOLLOW_DIR_FLAGS

MAX_OPEN = 100


class _Open:
    """A folder being emptied: its descriptor, its name in the folder above, the names left to remove."""

    def __init__(self, fd: int, name: str):
        self.fd, self.name = fd, name
        try:
            self.names: Iterator[str] = iter(os.listdir(fd))
        except BaseException:
            os.close(fd)
            raise


def remove_tree(parent: int, name: str, max_open: int = MAX_OPEN) -> None:
    """Remove whatever is at `name` in the open folder `parent`: a file, a symlink, or a folder and all in it."""
    top = _open_folder(parent, name)
    if top is None:
        return
    stack = [top]
    try:
        while stack:
            here = stack[-1]
            entry = next(here.names, None)
            if entry is None:
                more = os.listdir(here.fd)  # folders moved up to the top meanwhile (or written there)
                if more:
                    here.names = iter(more)
                    continue
                os.close(here.fd)
                stack.pop()
                os.rmdir(here.name, dir_fd=stack[-1].fd if stack else parent)
                continue
            if len(stack) < max_open:
                child = _open_folder(here.fd, entry)
                if child is not None:
                    stack.append(child)
            elif is_folder(here.fd, entry):
                os.rename(entry, _free_name(top.fd), src_dir_fd=here.fd, dst_dir_fd=top.fd)
            else:
                unlink_quietly(here.fd, entry)
    finally:
        for left in stack:
            os.close(left.fd)


def _open_folder(parent: int, name: str) -> _Open | None:
    """The folder `name`, open to be emptied; anything else there is removed at once (None)."""
    if not is_folder(parent, name):
        unlink_quietly(parent, name)
        return None
    try:
        fd = os.open(name, NOFOLLOW_DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        unlink_quietly(parent, name)  # it stopped being a folder since we looked: a symlink or a file now
        return None
    return _Open(fd, name)


def is_folder(parent: int, name: str) -> bool:
    """A folder (not a symlink to one) is at `name` in the open folder `parent`."""
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def unlink_quietly(parent: int, name: str) -> None:
    """Remove a file or symlink, if it is there."""
    try:
        os.unlink(name, dir_fd=parent)
    except FileNotFoundError:
        pass


def _free_name(folder: int) -> str:
    while True:
        name = f".tljh-removing-{secrets.token_hex(6)}"
        try:
            os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            return name
