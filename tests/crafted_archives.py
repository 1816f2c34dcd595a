"""Backup archives written by hand, as an attacker would, for the tests of what restore refuses."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

from tljh_lite.backup.manifest import MANIFEST_NAME, Manifest


def crafted(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], manifest: Manifest) -> None:
    """An archive with these members and a manifest that vouches for every one of them."""
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                manifest.files[info.name] = hashlib.sha256(data).hexdigest()
            if info.issym():
                manifest.links[info.name] = info.linkname
            manifest.entries += 1
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        body = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))


def member(name: str, kind=tarfile.REGTYPE, linkname: str = "", mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, linkname, mode
    return info
