"""Walking a tree students can change while it is read: iterative, by descriptor, depth-capped.

Everything below a root is found depth first with an explicit stack (no
recursion, so no RecursionError however deep the tree). Each level on the
stack holds one open descriptor, and folders more than MAX_DEPTH levels
below the root are not entered: at most MAX_DEPTH + 1 descriptors are open,
whatever a student builds. A folder is opened without following symlinks
and must be the very folder that was listed (same device and inode), so a
folder swapped for a symlink mid-walk is never followed.

Anything that goes wrong with one entry (it vanished, changed type, cannot
be read) is that entry's problem: it is reported through `skip` and the
walk goes on. Only the caller decides what ends a backup.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import Callable, Iterator

MAX_DEPTH = 100  # folders below a root; deeper ones are left out, each listed (docs/backup.md)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
NOFOLLOW_DIR_FLAGS = DIR_FLAGS | os.O_NOFOLLOW | os.O_NONBLOCK
VANISHED = "vanished while the backup ran"  # not left out: there is nothing to keep


@dataclass(frozen=True)
class Folder:
    """A folder, open (`fd`, valid until the walk moves on); its entries follow."""

    path: str
    fd: int


@dataclass(frozen=True)
class Entry:
    """Anything but a folder: `name` in the open folder `dirfd`, as lstat saw it."""

    path: str
    dirfd: int
    name: str
    st: os.stat_result


Found = Folder | Entry
Skip = Callable[[str, str], None]  # (path, reason)


def reason(error: OSError, was: str = "an entry") -> str:
    """Why an entry could not be read, in words (ENOENT: it vanished)."""
    if error.errno == errno.ENOENT:
        return VANISHED
    if error.errno == errno.ELOOP:
        return f"was {was}, and became a symlink while the backup ran"
    if error.errno in (errno.ENOTDIR, errno.EINVAL):  # EINVAL: readlink of what is no longer a symlink
        return f"was {was}, and changed into something else while the backup ran"
    return f"could not be read: {error.strerror or error}"



def walk(root: str, skip: Skip, exclude: frozenset[str] = frozenset(), max_depth: int = MAX_DEPTH) -> Iterator[Found]:
    """The root and everything below it, each folder before its entries, names in sorted order."""
    parent, name = os.path.split(root.rstrip("/"))
    try:
        parent_fd = os.open(parent or "/", DIR_FLAGS)  # above the root: the administrator's choice, followed
    except FileNotFoundError:
        return
    stack: list[tuple[int, str, Iterator[str]]] = []
    try:
        try:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(st.st_mode):
            yield Entry(root, parent_fd, name, st)
            return
        opened = _open_folder(parent_fd, name, root, st, skip)
        if opened is None:
            return
        stack.append(opened)
        yield Folder(root, opened[0])
        while stack:
            fd, path, names = stack[-1]
            name = next(names, None)
            if name is None:
                os.close(stack.pop()[0])
                continue
            full = f"{path}/{name}"
            if full in exclude:
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError as e:
                skip(full, reason(e))
                continue
            if not stat.S_ISDIR(st.st_mode):
                yield Entry(full, fd, name, st)
                continue
            if len(stack) > max_depth:
                skip(full, f"a folder more than {max_depth} levels deep: left out with everything in it")
                continue
            opened = _open_folder(fd, name, full, st, skip)
            if opened is not None:
                stack.append(opened)
                yield Folder(full, opened[0])
    finally:
        for fd, _, _ in stack:
            os.close(fd)
        os.close(parent_fd)


def _open_folder(parent_fd: int, name: str, path: str, listed: os.stat_result,
                 skip: Skip) -> tuple[int, str, Iterator[str]] | None:
    """The folder open without following a symlink, if it is still the one listed, with its sorted names."""
    try:
        fd = os.open(name, NOFOLLOW_DIR_FLAGS, dir_fd=parent_fd)
    except OSError as e:
        skip(path, reason(e, "a folder"))
        return None
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (listed.st_dev, listed.st_ino):
            skip(path, "was replaced by another folder while the backup ran")
            os.close(fd)
            return None
        return fd, path, iter(sorted(os.listdir(fd)))
    except OSError as e:
        os.close(fd)
        skip(path, reason(e, "a folder"))
        return None
