"""Writing files so that a crash or a failure never leaves half of one behind."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator


def atomic_write(
    path: Path,
    text: str | bytes,
    mode: int = 0o644,
    before_replace: Callable[[], None] | None = None,
    owner: tuple[int, int] | None = None,
) -> None:
    """Write text (UTF-8) or bytes to a temporary file beside path, fsync it, then rename it over path.

    The temporary file gets `mode` before anything is written to it (secrets
    are never readable, not even briefly). `before_replace` runs last and may
    raise to abandon the write; the temporary file is then removed.
    """
    with atomic_output(path, mode, before_replace, owner) as out:
        out.write(text.encode("utf-8") if isinstance(text, str) else text)


@contextmanager
def atomic_output(
    path: Path,
    mode: int = 0o644,
    before_replace: Callable[[], None] | None = None,
    owner: tuple[int, int] | None = None,
) -> Iterator[BinaryIO]:
    """A binary file to stream into; it replaces path only when the `with` block ends without error.

    Until then the data is in a temporary file beside path (same directory, so
    the rename is atomic), which any failure removes: a full disk or an error
    never leaves half a file where a whole one is expected.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        if owner is not None:
            os.fchown(fd, *owner)
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    """atomic_write unless the file already has exactly this text and mode; True if written."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text and (path.stat().st_mode & 0o7777) == mode:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    atomic_write(path, text, mode)
    return True


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
