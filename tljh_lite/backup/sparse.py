"""Sparse files: where their data is, and how an archive carries only that.

`truncate -s 16T f` costs a student nothing: the file is one hole. Reading
it would take a day, so a file with fewer allocated blocks than its size
is asked where its data is (lseek SEEK_DATA / SEEK_HOLE), and only that is
archived, as GNU tar's "PAX sparse format 1.0" member: pax headers
GNU.sparse.major=1, GNU.sparse.minor=0, GNU.sparse.name (the real name),
GNU.sparse.realsize; the member's data starts with the map (decimal lines:
the number of regions, then offset and length of each, padded to 512
bytes), then the regions' bytes one after the other. GNU tar and Python's
tarfile both read it back; GNU tar wants a last region of length 0 at the
real size when the file ends in a hole, so it is always there then.
"""

from __future__ import annotations

import errno
import os

BLOCK = 512
# More data regions than this in one file is a file made to be hard to copy (a map of millions of
# regions would cost the backup and the restore hundreds of MiB of memory): it is left out, and listed.
MAX_REGIONS = 100_000
PLACEHOLDER = "GNUSparseFile.0"  # GNU tar's folder name for what a tar without sparse support extracts

Region = tuple[int, int]  # (offset, length)


class TooFragmented(Exception):
    pass


def looks_sparse(st: os.stat_result) -> bool:
    """Fewer bytes allocated than the size says: worth asking where the data is."""
    return st.st_blocks * BLOCK < st.st_size


def data_regions(fd: int, size: int, limit: int = MAX_REGIONS) -> list[Region]:
    """Where an open file's data is, in order; its holes are left out. Raises TooFragmented past `limit`."""
    regions: list[Region] = []
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:  # nothing but a hole from here to the end
                break
            raise
        if start >= size:
            break
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        if len(regions) == limit:
            raise TooFragmented(f"more than {limit} separate regions of data")
        regions.append((start, end - start))
        offset = end
    return regions


def sparse_map(regions: list[Region], size: int) -> list[Region]:
    """The map an archive holds: the regions, and (offset=size, length=0) when the file ends in a hole."""
    if not regions or regions[-1][0] + regions[-1][1] < size:
        return [*regions, (size, 0)]
    return list(regions)


def map_block(entries: list[Region]) -> bytes:
    """The map as it starts the member's data: decimal lines, padded with NULs to a whole block."""
    text = f"{len(entries)}\n".encode() + b"".join(f"{offset}\n{length}\n".encode() for offset, length in entries)
    return text + bytes(-len(text) % BLOCK)


def pax_headers(name: str, size: int) -> dict[str, str]:
    """The headers that make a member sparse 1.0; `path` first, so GNU.sparse.name wins in every reader."""
    folder, _, base = name.rpartition("/")
    placeholder = f"{folder}/{PLACEHOLDER}/{base}" if folder else f"{PLACEHOLDER}/{base}"
    return {"path": placeholder, "GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": name,
            "GNU.sparse.realsize": str(size)}


def check_map(entries: list[Region], size: int) -> str | None:
    """What is wrong with a map read from an archive (regions out of order, past the end), or None."""
    at = 0
    for offset, length in entries:
        if offset < at or length < 0 or offset + length > size:
            return "its sparse map is not in order or goes past the end of the file"
        at = offset + length
    return None
