"""Reading an archive as a stream, and checking all of it before anything is changed.

`verify` reads every member, checks its name and its sha256 against the
manifest (the last member), checks that every member (files, folders,
symlinks, hard links and their targets) lies inside one of the manifest's
folders, and copies the hub's own files into a private staging folder.
Every way an archive can be bad (not an archive, cut short, corrupted,
files that do not match, names outside its folders) becomes one
BackupError naming it.

A member's data is read as the archive stores it (`data`): a sparse file's
holes are never made, so a 1 TiB file of holes is read in no time. Its
checksum is of what is stored: the map, then the data.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import posixpath
import shutil
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from . import sparse
from .errors import BackupError
from .manifest import MANIFEST_NAME, PREFIX, Manifest, safe_name

Archive = Path | str | BinaryIO  # a path, or a file open for reading (read from its start)

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
HINT = "nothing was changed; use another copy of the backup (compare its sha256sum with the one create printed)"


@dataclass(frozen=True)
class Verified:
    manifest: Manifest
    sha256: str  # of the archive file: names this backup (an interrupted restore resumes only the same one)


def _open_stream(raw: BinaryIO, source: str) -> BinaryIO:
    head = raw.peek(512)[:512] if hasattr(raw, "peek") else b""
    if head[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if len(head) >= 512 and head[257:262] == b"ustar":
        return raw
    raise BackupError(f"{source} is not a tljh-lite backup (not a .tar.gz archive)", "nothing was changed; give "
                      "the file that `tljh-lite backup create` wrote (tljh-lite-backup-*.tar.gz)")


@contextlib.contextmanager
def read_errors(source: str) -> Iterator[None]:
    """Turn the ways gzip and tar fail on a bad file into one line naming the problem."""
    try:
        yield
    except EOFError:
        raise BackupError(f"{source} is truncated: it ends before the end of the archive", HINT) from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise BackupError(f"{source} is corrupted (compressed data: {e})", HINT) from None
    except tarfile.ReadError as e:
        what = "truncated: it ends in the middle of a file" if "unexpected end" in str(e) else f"corrupted ({e})"
        raise BackupError(f"{source} is {what}", HINT) from None


@contextlib.contextmanager
def open_archive(archive: Archive, source: str | None = None) -> Iterator[tarfile.TarFile]:
    source = source or str(archive)
    with _opened(archive, source) as raw, read_errors(source):
        stream = _open_stream(raw, source)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            yield tar


@contextlib.contextmanager
def _opened(archive: Archive, source: str) -> Iterator[BinaryIO]:
    if not isinstance(archive, (str, os.PathLike)):
        archive.seek(0)
        yield archive
        return
    try:
        raw = open(archive, "rb")
    except OSError as e:
        raise BackupError(f"cannot read {source}: {e.strerror}", "check the path (and run with sudo)") from None
    with raw:
        yield raw


def members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members one by one, forgetting each (tarfile would keep them all in memory)."""
    while (member := tar.next()) is not None:
        tar.members.clear()
        if member.sparse is not None:
            # tarfile finds the next header from the size it read, which a sparse member's pax headers replace
            # (with the real size, and with the stored size past 8 GiB): the data is the map's regions, stored
            # one after the other right after the map.
            member.size = int(member.pax_headers.get("GNU.sparse.realsize", member.size))
            tar.offset = member.offset_data + member._block(sum(length for _, length in member.sparse))
        yield member


def data(tar: tarfile.TarFile, member: tarfile.TarInfo, digest) -> Iterator[tuple[int, bytes]]:
    """A file member's data as stored, as (offset in the file, bytes), hashed into `digest` as stored
    (a sparse member: its map first). Holes are skipped, never read or made."""
    if member.sparse is not None:
        digest.update(sparse.map_block(member.sparse))
        regions = member.sparse
    else:
        regions = [(0, member.size)]
    stream = tar.fileobj
    stream.seek(member.offset_data)  # where tar.next() left it: forward only, in a stream
    for offset, length in regions:
        while length:
            block = stream.read(min(CHUNK, length))
            if not block:
                raise tarfile.ReadError("unexpected end of data")
            digest.update(block)
            yield offset, block
            offset, length = offset + len(block), length - len(block)


def verify(archive: Archive, staging: Path, source: str | None = None) -> Verified:
    """Check the whole archive; the hub's files (tljh-backup/) end up in `staging` (0700, emptied first)."""
    source = source or str(archive)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700, parents=True)
    seen = _Seen()
    manifest_data = None
    archive_sha = hashlib.sha256()
    with _opened(archive, source) as raw, read_errors(source):
        hashed = _HashingReader(raw, archive_sha)
        stream = _open_stream(hashed, source)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in members(tar):
                if manifest_data is not None:
                    raise BackupError(f"{source} is corrupted: {member.name} comes after the manifest", HINT)
                _check_member(member, seen, source)
                if member.name == MANIFEST_NAME:
                    manifest_data = tar.extractfile(member).read()
                    continue
                seen.add(member)
                if member.isreg() and not member.islnk():
                    digest = hashlib.sha256()
                    chunks = data(tar, member, digest)
                    if member.name.startswith(PREFIX):
                        _stage(staging / member.name[len(PREFIX):], (block for _, block in chunks))
                    else:
                        for _ in chunks:
                            pass
                    seen.files[member.name] = digest.hexdigest()
        _drain(stream)  # to the end: gzip checks its CRC there
        _drain(hashed)
    if manifest_data is None:
        raise BackupError(f"{source} is incomplete: it has no manifest (cut short, or not a tljh-lite backup)", HINT)
    manifest = Manifest.from_json(manifest_data, source)
    _compare(manifest, seen, source)
    return Verified(manifest, archive_sha.hexdigest())


class _Seen:
    """What verify met before the manifest: each kind of member by name."""

    def __init__(self):
        self.files: dict[str, str] = {}  # name -> sha256 of what is stored
        self.links: dict[str, str] = {}  # symlink -> its target
        self.hard: dict[str, str] = {}  # hard link -> the file it is
        self.folders: list[str] = []
        self.sparse: dict[str, dict[str, int]] = {}
        self.entries = 0

    def add(self, member: tarfile.TarInfo) -> None:
        self.entries += 1
        if member.issym():
            self.links[member.name] = member.linkname
        elif member.islnk():
            self.hard[member.name] = member.linkname
        elif member.isdir():
            self.folders.append(member.name)
        elif member.sparse is not None:
            self.sparse[member.name] = {"size": member.size,
                                        "regions": sum(1 for _, length in member.sparse if length)}

    def names(self) -> Iterator[tuple[str, str]]:
        """(name, what it is) of every member a restore writes, hard links' targets included."""
        for name in self.files:
            yield name, "file"
        for name in self.links:
            yield name, "symlink"
        for name in self.folders:
            yield name, "folder"
        for name, target in self.hard.items():
            yield name, "hard link"
            yield target, f"target of the hard link {name}"


def _check_member(member: tarfile.TarInfo, seen: _Seen, source: str) -> None:
    name = member.name
    if not safe_name(name):
        raise BackupError(f"{source} has an unsafe file name ({name!r}); refusing it", HINT)
    # Nothing may be written through a symlink the archive itself made.
    parent = posixpath.dirname(name)
    while parent:
        if parent in seen.links:
            raise BackupError(f"{source} is unsafe: {name} lies below the symlink {parent}", HINT)
        parent = posixpath.dirname(parent)
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise BackupError(f"{source} holds {name}, which is neither a file, a folder nor a link", HINT)
    if member.islnk() and member.linkname not in seen.files:
        raise BackupError(f"{source} is corrupted: the hard link {name} points at {member.linkname}, not a file "
                          "before it", HINT)
    if name.startswith(PREFIX) and not ((member.isreg() and member.sparse is None) or member.isdir()):
        raise BackupError(f"{source} is corrupted: {name} is not a plain file", HINT)
    problem = sparse.check_map(member.sparse, member.size) if member.sparse is not None else None
    if problem:
        raise BackupError(f"{source} is corrupted: {name}: {problem}", HINT)


def _compare(manifest: Manifest, seen: _Seen, source: str) -> None:
    for name, digest in seen.files.items():
        expected = manifest.files.get(name)
        if expected is None:
            raise BackupError(f"{source} is corrupted: {name} is not in its manifest", HINT)
        if expected != digest:
            raise BackupError(f"{source} is corrupted: {name} does not match its checksum", HINT)
    missing = sorted(set(manifest.files) - set(seen.files))
    if missing:
        raise BackupError(f"{source} is incomplete: {missing[0]} (and {len(missing) - 1} more) are missing", HINT)
    if seen.links != manifest.links or seen.entries != manifest.entries or seen.sparse != manifest.sparse:
        raise BackupError(f"{source} is corrupted: its links, sparse files or entries do not match its manifest",
                          HINT)
    for name, what in seen.names():
        if name.startswith(PREFIX) and what == "file":
            continue
        if manifest.root_of(name) is None:
            raise BackupError(f"{source} holds {name} ({what}), outside the folders its manifest names", HINT)


def _stage(target: Path, chunks: Iterator[bytes]) -> None:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        for block in chunks:
            out.write(block)


class _HashingReader:
    def __init__(self, raw: BinaryIO, digest):
        self.raw, self.digest = raw, digest

    def read(self, n: int = -1) -> bytes:
        block = self.raw.read(n)
        self.digest.update(block)
        return block

    def peek(self, n: int) -> bytes:
        return self.raw.peek(n)


def _drain(reader) -> None:
    """Read what is left (tar's padding, gzip's trailer) so every byte is checked."""
    while reader.read(CHUNK):
        pass
