"""Putting members back at their absolute paths without following a symlink students could have made.

A restore over a running machine meets folders students could change: a
folder that was in the backup may be a symlink to /etc now. So below each
backed-up folder (a home, a plugin's folder), every path is walked one
component at a time with O_NOFOLLOW descriptors, and whatever is in the way
of what the archive holds (a symlink where a folder belongs, a folder where
a file belongs) is replaced. The folders above and the backed-up folder
itself (/home, /home/jupyter-alice, /srv/course) are root's, so a symlink
there is the administrator's choice and is followed.

Every member must lie in one of the backed-up folders (the verified
manifest's roots): anything else is refused here too. A file is written
under a temporary name in its folder, gets its owner by name (an account
may have another uid on a new machine), then its mode, ACLs and times, all
through its own descriptor, and is renamed into place only once its
checksum matched; symlinks and hard links are made the same way. A sparse
file's data is written at its offsets and its holes stay holes. Whatever
stands in the way is removed without following a symlink, however deep
(remove.py). Folders get their attributes at the end, deepest first, so a
read-only folder can still be filled.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import secrets
import stat
import tarfile
from functools import lru_cache
from typing import Callable, Iterable

from . import acl
from .errors import BackupError
from .remove import is_folder, remove_tree, unlink_quietly

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
NOFOLLOW = os.O_NOFOLLOW
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
TEMPORARY = ".tljh-restoring-"  # + random: a file being restored, before it is renamed into place


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

    def add(self, member: tarfile.TarInfo, blocks: Iterable[tuple[int, bytes]] = (),
            check: Callable[[], None] = lambda: None) -> None:
        """Put one member back. A file's `blocks` are (offset, bytes); `check` raises if what was read
        is not what the manifest vouches for, and the file then never takes the place of anything."""
        self._inside(member.name)
        if member.islnk():
            self._inside(member.linkname)
        parent, name, trusted = self._parent(member.name)
        try:
            if member.isdir():
                self._make_dir(parent, name, trusted)
                self._dirs.append(member)
            elif member.isreg() or member.issym() or member.islnk():
                temporary = self._temporary(parent, member, blocks, check)
                try:
                    if is_folder(parent, name):
                        remove_tree(parent, name)
                    os.rename(temporary, name, src_dir_fd=parent, dst_dir_fd=parent)
                finally:
                    unlink_quietly(parent, temporary)  # left only when it and name were one file already
        finally:
            os.close(parent)

    def _temporary(self, parent: int, member: tarfile.TarInfo, blocks, check) -> str:
        """The member made under a new name in its folder, complete with its attributes."""
        temporary = TEMPORARY + secrets.token_hex(8)
        try:
            if member.isreg():
                fd = os.open(temporary, NEW_FILE_FLAGS, 0o600, dir_fd=parent)
                try:
                    for offset, block in blocks:
                        view = memoryview(block)
                        while view:
                            written = os.pwrite(fd, view, offset)
                            view, offset = view[written:], offset + written
                    os.ftruncate(fd, member.size)  # a sparse file ends in a hole: that is its size
                    check()
                    self._attributes(fd, member)
                finally:
                    os.close(fd)
            elif member.issym():
                os.symlink(member.linkname, temporary, dir_fd=parent)
                if self.owners:
                    os.chown(temporary, *self._owner(member), dir_fd=parent, follow_symlinks=False)
                os.utime(temporary, (member.mtime, member.mtime), dir_fd=parent, follow_symlinks=False)
            else:
                source_parent, source_name, _ = self._parent(member.linkname)
                try:
                    os.link(source_name, temporary, src_dir_fd=source_parent, dst_dir_fd=parent,
                            follow_symlinks=False)
                finally:
                    os.close(source_parent)
        except BaseException:
            unlink_quietly(parent, temporary)
            raise
        return temporary

    def _inside(self, member_name: str) -> None:
        """Refuse a name outside the backed-up folders (verify refused the archive already: never reached)."""
        if self.trusted and not self._depth(member_name):
            raise BackupError(f"the backup holds {member_name}, outside the folders it names; refusing it",
                              "use another backup")

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
            remove_tree(fd, folder)  # a symlink or a file where the archive has a folder
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
            remove_tree(parent, name)
            os.mkdir(name, 0o700, dir_fd=parent)

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
