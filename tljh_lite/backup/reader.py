"""Reading an archive as a stream, and checking all of it before anything is changed.

`verify` reads every member, checks its name and its sha256 against the
manifest (the last member), and copies the hub's own files into a private
staging folder. Every way an archive can be bad (not an archive, cut short,
corrupted, files that do not match) becomes one BackupError naming it.
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

from .errors import BackupError
from .manifest import MANIFEST_NAME, PREFIX, Manifest, safe_name

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
def open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    source = str(path)
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise BackupError(f"cannot read {source}: {e.strerror}", "check the path (and run with sudo)") from None
    with raw, read_errors(source):
        stream = _open_stream(raw, source)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            yield tar


def members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members one by one, forgetting each (tarfile would keep them all in memory)."""
    while (member := tar.next()) is not None:
        tar.members.clear()
        yield member


def hashed_chunks(tar: tarfile.TarFile, member: tarfile.TarInfo, digest) -> Iterator[bytes]:
    data = tar.extractfile(member)
    while True:
        block = data.read(CHUNK)
        if not block:
            return
        digest.update(block)
        yield block


def verify(path: Path, staging: Path) -> Verified:
    """Check the whole archive; the hub's files (tljh-backup/) end up in `staging` (0700, emptied first)."""
    source = str(path)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700, parents=True)
    seen_files: dict[str, str] = {}
    seen_links: dict[str, str] = {}
    entries, manifest_data = 0, None
    archive_sha = hashlib.sha256()
    with _hashing_open(path, archive_sha) as hashed, read_errors(source):
        stream = _open_stream(hashed, source)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in members(tar):
                if manifest_data is not None:
                    raise BackupError(f"{source} is corrupted: {member.name} comes after the manifest", HINT)
                _check_member(member, seen_files, seen_links, source)
                if member.name == MANIFEST_NAME:
                    manifest_data = tar.extractfile(member).read()
                    continue
                entries += 1
                if member.issym():
                    seen_links[member.name] = member.linkname
                if member.isreg():
                    digest = hashlib.sha256()
                    chunks = hashed_chunks(tar, member, digest)
                    if member.name.startswith(PREFIX):
                        _stage(staging / member.name[len(PREFIX):], chunks)
                    else:
                        for _ in chunks:
                            pass
                    seen_files[member.name] = digest.hexdigest()
        _drain(stream)  # to the end: gzip checks its CRC there
        _drain(hashed)
    if manifest_data is None:
        raise BackupError(f"{source} is incomplete: it has no manifest (cut short, or not a tljh-lite backup)", HINT)
    manifest = Manifest.from_json(manifest_data, source)
    _compare(manifest, seen_files, seen_links, entries, source)
    return Verified(manifest, archive_sha.hexdigest())


def _check_member(member: tarfile.TarInfo, files: dict, links: dict, source: str) -> None:
    name = member.name
    if not safe_name(name):
        raise BackupError(f"{source} has an unsafe file name ({name!r}); refusing it", HINT)
    # Nothing may be written through a symlink the archive itself made.
    parent = posixpath.dirname(name)
    while parent:
        if parent in links:
            raise BackupError(f"{source} is unsafe: {name} lies below the symlink {parent}", HINT)
        parent = posixpath.dirname(parent)
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise BackupError(f"{source} holds {name}, which is neither a file, a folder nor a link", HINT)
    if member.islnk() and member.linkname not in files:
        raise BackupError(f"{source} is corrupted: the hard link {name} points at {member.linkname}, not a file "
                          "before it", HINT)
    if name.startswith(PREFIX) and not (member.isreg() or member.isdir()):
        raise BackupError(f"{source} is corrupted: {name} is not a plain file", HINT)


def _compare(manifest: Manifest, files: dict, links: dict, entries: int, source: str) -> None:
    for name, digest in files.items():
        expected = manifest.files.get(name)
        if expected is None:
            raise BackupError(f"{source} is corrupted: {name} is not in its manifest", HINT)
        if expected != digest:
            raise BackupError(f"{source} is corrupted: {name} does not match its checksum", HINT)
    missing = sorted(set(manifest.files) - set(files))
    if missing:
        raise BackupError(f"{source} is incomplete: {missing[0]} (and {len(missing) - 1} more) are missing", HINT)
    if links != manifest.links or entries != manifest.entries:
        raise BackupError(f"{source} is corrupted: its links or entries do not match its manifest", HINT)
    for name in list(files) + list(links):
        if not name.startswith(PREFIX) and manifest.root_of(name) is None:
            raise BackupError(f"{source} holds {name}, outside the folders its manifest names", HINT)


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
        data = self.raw.read(n)
        self.digest.update(data)
        return data

    def peek(self, n: int) -> bytes:
        return self.raw.peek(n)


@contextlib.contextmanager
def _hashing_open(path: Path, digest) -> Iterator[_HashingReader]:
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise BackupError(f"cannot read {path}: {e.strerror}", "check the path (and run with sudo)") from None
    with raw:
        yield _HashingReader(raw, digest)


def _drain(reader) -> None:
    """Read what is left (tar's padding, gzip's trailer) so every byte is checked."""
    while reader.read(CHUNK):
        pass
