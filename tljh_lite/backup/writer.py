"""Writing an archive in one streaming pass, with the sha256 of every file it holds.

The trees are walked by descriptor (walk.py), so a student who swaps a
folder for a symlink while the backup runs cannot make it read anything
outside her home, and a tree of any depth costs a bounded number of
descriptors. Each member's owner, mode, times and ACLs come from the very
file whose bytes are archived. A file that shrinks while it is read is
padded with zeros, as GNU tar does; its checksum is of what the archive
holds. A sparse file is archived as its data only (sparse.py).

An entry that cannot be archived (vanished, changed type, too deep,
unreadable) is skipped with a warning naming it and never ends the backup;
an error writing the archive itself is an OutputError, so the message names
the real cause.
"""

from __future__ import annotations

import grp
import gzip
import hashlib
import logging
import os
import pwd
import stat
import tarfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from . import acl, sparse
from .manifest import MANIFEST_NAME, Manifest, archive_name
from .walk import VANISHED, Entry, Folder, reason, walk

log = logging.getLogger("tljh_lite")
CHUNK = 1 << 20
COMPRESS_LEVEL = 1  # students' work: fast beats small (level 6 takes 3x the time for 10% less)
SKIPPED_KEPT = 1000  # skipped entries listed in the manifest (and warned about); the rest are counted
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class OutputError(Exception):
    """Writing the archive failed (a full disk, a closed pipe): not a problem of what is backed up."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.errno, self.strerror = error.errno, error.strerror


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.reason}"


@lru_cache(maxsize=None)
def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


@lru_cache(maxsize=None)
def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return ""


class _Output:
    """The archive file: hashes what goes through it, and tells its own errors apart."""

    def __init__(self, out: BinaryIO):
        self.out, self.sha256, self.size = out, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        try:
            return self.out.write(data)
        except OSError as e:
            raise OutputError(e) from e

    def flush(self) -> None:
        try:
            self.out.flush()
        except OSError as e:
            raise OutputError(e) from e


class _RegionReader:
    """A member's data: `prefix` (a sparse map), then the file's regions, hashed as they are read.

    Exactly the bytes promised: a file that shrank (or a read error) gives zeros for the rest.
    """

    def __init__(self, fd: int, regions: list[sparse.Region], prefix: bytes = b""):
        self.fd, self.sha256, self.short, self.error = fd, hashlib.sha256(), False, None
        self._prefix = prefix
        self._regions = list(reversed(regions))
        self.left = len(prefix) + sum(length for _, length in regions)

    def read(self, n: int) -> bytes:
        parts, wanted = [], min(n, self.left)
        while wanted:
            block = self._next(wanted)
            parts.append(block)
            wanted -= len(block)
        data = b"".join(parts)
        self.sha256.update(data)
        self.left -= len(data)
        return data

    def _next(self, n: int) -> bytes:
        if self._prefix:
            block, self._prefix = self._prefix[:n], self._prefix[n:]
            return block
        offset, length = self._regions[-1]
        n = min(n, length)
        block = b""
        if not self.short:
            try:
                block = os.pread(self.fd, n, offset)
            except OSError as e:
                self.error = e
            self.short = len(block) < n
        block += bytes(n - len(block))
        if n == length:
            self._regions.pop()
        else:
            self._regions[-1] = (offset + n, length - n)
        return block


class ArchiveWriter:
    def __init__(self, out: BinaryIO, level: int = COMPRESS_LEVEL):
        self._out = _Output(out)
        self._gzip = gzip.GzipFile(filename="", fileobj=self._out, mode="wb", compresslevel=level, mtime=0)
        self._tar = tarfile.open(fileobj=self._gzip, mode="w", format=tarfile.PAX_FORMAT)
        self._tar.copybufsize = CHUNK
        self.files: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.sparse: dict[str, dict[str, int]] = {}
        self.entries = 0
        self.size = 0  # bytes of file data archived: what restore writes to disk
        self.changed: list[str] = []  # files that changed size while being read
        self.skipped: list[Skipped] = []  # the first SKIPPED_KEPT entries left out, with why
        self.skipped_count = 0
        self.vanished = 0  # entries gone between listing and reading: nothing to keep
        self._inodes: dict[tuple[int, int], str] = {}

    def add_bytes(self, name: str, data: bytes, mode: int = 0o600) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), mode, int(time.time())
        info.uname = info.gname = "root"
        self._add(info, _BytesReader(data))

    def add_file(self, name: str, path: Path, mode: int | None = None) -> None:
        """A file of root's (the hub's own: config, a database snapshot), streamed, as `name`."""
        fd = os.open(path, _OPEN_FLAGS)
        try:
            st = os.fstat(fd)
            info = tarfile.TarInfo(name)
            info.size, info.mtime = st.st_size, int(st.st_mtime)
            info.mode = stat.S_IMODE(st.st_mode) if mode is None else mode
            info.uname = info.gname = "root"
            self._add(info, _RegionReader(fd, [(0, st.st_size)]))
        finally:
            os.close(fd)

    def add_tree(self, path: str, exclude: frozenset[str] = frozenset()) -> None:
        """A file, symlink or folder, everything below it included (`exclude`: paths to leave out)."""
        for found in walk(path, self.skip, exclude):
            if isinstance(found, Folder):
                self._guarded(found.path, "a folder", self._add_dir, found)
            else:
                self._guarded(found.path, _kind(found.st), self._add_entry, found)

    def skip(self, path: str, why: str) -> None:
        """Leave an entry out, with a warning naming it (one that vanished is only counted)."""
        if why == VANISHED:
            self.vanished += 1
            log.info("not backed up: %s (%s)", path, why)
            return
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_KEPT:
            self.skipped.append(Skipped(path, why))
            log.warning("not backed up: %s (%s)", path, why)

    def close(self, manifest: Manifest) -> tuple[str, int]:
        """Finish with the manifest; returns the archive's sha256 and size."""
        manifest.files, manifest.links, manifest.entries, manifest.size = self.files, self.links, self.entries, self.size
        manifest.sparse = self.sparse
        manifest.skipped = [{"path": s.path, "reason": s.reason} for s in self.skipped]
        manifest.skipped_count = self.skipped_count
        data = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size, info.mode, info.mtime, info.uname, info.gname = len(data), 0o600, int(time.time()), "root", "root"
        self._tar.addfile(info, _BytesReader(data))
        self._tar.close()
        self._gzip.close()
        self._out.flush()
        return self._out.sha256.hexdigest(), self._out.size

    # -- members ---------------------------------------------------------

    def _guarded(self, path: str, was: str, add, found) -> None:
        """One entry's failure to be read skips that entry; a failure to write the archive ends it all."""
        try:
            add(found)
        except OSError as e:
            self.skip(path, reason(e, was))

    def _info(self, path: str, st: os.stat_result) -> tarfile.TarInfo:
        info = tarfile.TarInfo(archive_name(path))
        info.mode = stat.S_IMODE(st.st_mode)
        info.uid, info.gid = st.st_uid, st.st_gid
        info.uname, info.gname = _user(st.st_uid), _group(st.st_gid)
        info.mtime = int(st.st_mtime)
        return info

    def _add_dir(self, folder: Folder) -> None:
        info = self._info(folder.path, os.fstat(folder.fd))
        info.type = tarfile.DIRTYPE
        info.pax_headers = acl.read(folder.fd)
        self._add(info)

    def _add_entry(self, entry: Entry) -> None:
        if stat.S_ISLNK(entry.st.st_mode):
            info = self._info(entry.path, entry.st)
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(entry.name, dir_fd=entry.dirfd)
            self.links[info.name] = info.linkname
            return self._add(info)
        if not stat.S_ISREG(entry.st.st_mode):
            return None  # sockets, fifos, devices: nothing to keep
        fd = os.open(entry.name, _OPEN_FLAGS, dir_fd=entry.dirfd)
        try:
            self._add_file(fd, entry.path)
        finally:
            os.close(fd)

    def _add_file(self, fd: int, path: str) -> None:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return self.skip(path, "was a file, and changed into something else while the backup ran")
        info = self._info(path, st)
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in self._inodes:
            info.type, info.linkname = tarfile.LNKTYPE, self._inodes[key]
            return self._add(info)
        regions = [(0, st.st_size)]
        if sparse.looks_sparse(st):
            try:
                regions = sparse.data_regions(fd, st.st_size)
            except sparse.TooFragmented as e:
                return self.skip(path, f"a sparse file with {e}: left out")
        info.pax_headers = acl.read(fd)
        name, prefix = info.name, b""
        if regions != [(0, st.st_size)]:  # holes: only the data goes in, after its map
            prefix = sparse.map_block(sparse.sparse_map(regions, st.st_size))
            info.pax_headers = {**sparse.pax_headers(name, st.st_size), **info.pax_headers}
            info.name = info.pax_headers["path"]
            self.sparse[name] = {"size": st.st_size, "regions": len(regions)}
        data = sum(length for _, length in regions)
        info.size = len(prefix) + data
        if st.st_nlink > 1:
            self._inodes[key] = name
        reader = _RegionReader(fd, regions, prefix)
        self._add(info, reader, name, data)
        if reader.error is not None:
            self.skip(path, f"could not be read to the end ({reader.error.strerror}): the backup has zeros from there")
        elif reader.short or os.fstat(fd).st_size != st.st_size:
            self.changed.append(path)

    def _add(self, info: tarfile.TarInfo, reader=None, name: str | None = None, data: int | None = None) -> None:
        """Append a member; a file's checksum is recorded under `name` (its real name), `data` bytes of it on disk."""
        self._tar.addfile(info, reader)
        self.entries += 1
        if reader is not None:
            self.files[name or info.name] = reader.sha256.hexdigest()
            self.size += info.size if data is None else data
        # tarfile remembers every member (for reading back); a write-only archive needs none.
        self._tar.members.clear()


def _kind(st: os.stat_result) -> str:
    return "a symlink" if stat.S_ISLNK(st.st_mode) else "a file" if stat.S_ISREG(st.st_mode) else "an entry"


class _BytesReader:
    def __init__(self, data: bytes):
        self.data, self.sha256, self._at = data, hashlib.sha256(), 0

    def read(self, n: int) -> bytes:
        block = self.data[self._at:self._at + n]
        self._at += len(block)
        self.sha256.update(block)
        return block
