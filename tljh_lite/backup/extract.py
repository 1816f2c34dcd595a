"""Putting members back at their absolute paths without following a symlink students could have made.

A restore over a running machine meets folders students could change: a
folder that was in the backup may be a symlink to /etc now. So below each
backed-up folder (a home, a plugin's folder), every path is walked one
component at a time with O_NOFOLLOW descriptors, and whatever is in the way
of what the archive holds (a symlink where a folder belongs, a folder where
a file belongs) is replaced. The folders above and the backed-up folder
itself (/home, /home/jupyter-alice, /srv/course) are root's, so a symlink
there is the administrator's choice and is followed.

Files get their owner by name (an account may have another uid on a new
machine), then their mode, ACLs and times, all through the descriptor of
the file itself. Folders get theirs at the end, deepest first, so a
read-only folder can still be filled.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat
import tarfile
from functools import lru_cache
from typing import Iterable

from . import acl

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
NOFOLLOW = os.O_NOFOLLOW
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@lru_cache(maxsize=None)
def _uid(name: str, fallback: int) -> int:
    try:
        return pwd.getpwnam(name).pw_uid if name else fallback
    except KeyError:
        return fallback


@lru_cache(maxsize=None)
def _gid(name: str, fallback: int) -> int:
    try:
        return grp.getgrnam(name).gr_gid if name else fallback
    except KeyError:
        return fallback


class Extractor:
    def __init__(self, root: str = "/", owners: bool | None = None, trusted: Iterable[str] = ()):
        """`root`: where '/' is (tests use a temporary folder); `owners`: chown (default: when root);
        `trusted`: member names of the backed-up folders (symlinks up to and including them are followed)."""
        self.root = root
        self.owners = os.geteuid() == 0 if owners is None else owners
        self.trusted = sorted(trusted, key=len, reverse=True)
        self._dirs: list[tarfile.TarInfo] = []
        self.warnings: list[str] = []

    def add(self, member: tarfile.TarInfo, chunks: Iterable[bytes] = ()) -> None:
        parent, name, trusted = self._parent(member.name)
        try:
            if member.isdir():
                self._make_dir(parent, name, trusted)
                self._dirs.append(member)
            elif member.isreg():
                self._clear(parent, name)
                fd = os.open(name, NEW_FILE_FLAGS, 0o600, dir_fd=parent)
                try:
                    with os.fdopen(os.dup(fd), "wb") as out:
                        for block in chunks:
                            out.write(block)
                    self._attributes(fd, member)
                finally:
                    os.close(fd)
            elif member.issym():
                self._clear(parent, name)
                os.symlink(member.linkname, name, dir_fd=parent)
                if self.owners:
                    os.chown(name, *self._owner(member), dir_fd=parent, follow_symlinks=False)
                os.utime(name, (member.mtime, member.mtime), dir_fd=parent, follow_symlinks=False)
            elif member.islnk():
                source_parent, source_name, _ = self._parent(member.linkname)
                try:
                    self._clear(parent, name)
                    os.link(source_name, name, src_dir_fd=source_parent, dst_dir_fd=parent, follow_symlinks=False)
                finally:
                    os.close(source_parent)
        finally:
            os.close(parent)

    def finish(self) -> None:
        """Owners, modes, ACLs and times of the folders, deepest first."""
        for member in sorted(self._dirs, key=lambda m: m.name.count("/"), reverse=True):
            parent, name, trusted = self._parent(member.name)
            try:
                fd = os.open(name, DIR_FLAGS if trusted else DIR_FLAGS | NOFOLLOW, dir_fd=parent)
            finally:
                os.close(parent)
            try:
                self._attributes(fd, member)
            finally:
                os.close(fd)
        self._dirs.clear()

    # -- paths -------------------------------------------------------------

    def _depth(self, member_name: str) -> int:
        """How many leading components of the name are root's to choose (its backed-up folder and above)."""
        for top in self.trusted:
            if member_name == top or member_name.startswith(top + "/"):
                return top.count("/") + 1
        return 0

    def _parent(self, member_name: str) -> tuple[int, str, bool]:
        """A descriptor of the member's folder (made if missing), its last name, and whether that is trusted."""
        *folders, name = member_name.split("/")
        depth = self._depth(member_name)
        fd = os.open(self.root, DIR_FLAGS)
        try:
            for i, folder in enumerate(folders):
                fd = self._enter(fd, folder, follow=i < depth)
        except BaseException:
            os.close(fd)
            raise
        return fd, name, len(folders) < depth

    def _enter(self, fd: int, folder: str, follow: bool) -> int:
        flags = DIR_FLAGS if follow else DIR_FLAGS | NOFOLLOW
        try:
            child = os.open(folder, flags, dir_fd=fd)
        except FileNotFoundError:
            os.mkdir(folder, 0o755, dir_fd=fd)  # above a backed-up folder (e.g. /srv); members get theirs at the end
            child = os.open(folder, flags, dir_fd=fd)
        except OSError as e:
            if e.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            self._clear(fd, folder)  # a symlink or a file where the archive has a folder
            os.mkdir(folder, 0o700, dir_fd=fd)
            child = os.open(folder, flags, dir_fd=fd)
        os.close(fd)
        return child

    def _make_dir(self, parent: int, name: str, trusted: bool) -> None:
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=trusted)
        except FileNotFoundError:
            os.mkdir(name, 0o700, dir_fd=parent)
            return
        if not stat.S_ISDIR(st.st_mode):
            self._clear(parent, name)
            os.mkdir(name, 0o700, dir_fd=parent)

    def _clear(self, parent: int, name: str) -> None:
        """Remove whatever is at name (a folder with everything in it), never following a symlink."""
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(name, dir_fd=parent)
            return
        fd = os.open(name, DIR_FLAGS | NOFOLLOW, dir_fd=parent)
        try:
            for _, dirnames, filenames, dirfd in os.fwalk(dir_fd=fd, topdown=False, follow_symlinks=False):
                for entry in filenames:
                    os.unlink(entry, dir_fd=dirfd)
                for entry in dirnames:
                    if stat.S_ISLNK(os.stat(entry, dir_fd=dirfd, follow_symlinks=False).st_mode):
                        os.unlink(entry, dir_fd=dirfd)
                    else:
                        os.rmdir(entry, dir_fd=dirfd)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=parent)

    # -- attributes ----------------------------------------------------------

    def _owner(self, member: tarfile.TarInfo) -> tuple[int, int]:
        return _uid(member.uname, member.uid), _gid(member.gname, member.gid)

    def _attributes(self, fd: int, member: tarfile.TarInfo) -> None:
        if self.owners:
            os.fchown(fd, *self._owner(member))
        os.fchmod(fd, member.mode)  # after chown, which clears setuid and setgid bits
        try:
            acl.write(fd, member.pax_headers, member.isdir())
        except acl.AclError as e:  # a user or group this machine does not have: mode bits only
            self.warnings.append(f"/{member.name}: its ACL was not restored ({e})")
        os.utime(fd, (member.mtime, member.mtime))
