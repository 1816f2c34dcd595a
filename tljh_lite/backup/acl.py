"""POSIX ACLs: the kernel's binary form (xattrs) to text with names, and back.

Archives carry them as GNU tar does, in the pax headers `SCHILY.acl.access`
and `SCHILY.acl.default` ("user::rwx\\ngroup:jupyterhub-users:r-x\\n..."), so
`tar --acls -x` restores them too. Names, not numbers: an account or group
keeps its permissions on a machine where it has another id.

The binary form (acl(5); linux/posix_acl_xattr.h): a little-endian u32
version (2), then one (u16 tag, u16 permissions, u32 id) per entry.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import struct
from typing import Callable, Mapping

ACCESS_XATTR = "system.posix_acl_access"
DEFAULT_XATTR = "system.posix_acl_default"
PAX_KEYS = {ACCESS_XATTR: "SCHILY.acl.access", DEFAULT_XATTR: "SCHILY.acl.default"}
VERSION = 2
UNDEFINED_ID = 0xFFFFFFFF
_HEADER = struct.Struct("<I")
_ENTRY = struct.Struct("<HHI")
# tag -> (word in text, whether it names a user or group)
_TAGS = {0x01: ("user", False), 0x02: ("user", True), 0x04: ("group", False), 0x08: ("group", True),
         0x10: ("mask", False), 0x20: ("other", False)}
_TAG_OF = {(word, named): tag for tag, (word, named) in _TAGS.items()}
_NO_ACL = (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP)


class AclError(ValueError):
    pass


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _user_id(name: str) -> int:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        if name.isdigit():
            return int(name)
        raise AclError(f"no user {name!r} on this machine") from None


def _group_id(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            return int(name)
        raise AclError(f"no group {name!r} on this machine") from None


def _perms(bits: int) -> str:
    return "".join(letter if bits & value else "-" for letter, value in (("r", 4), ("w", 2), ("x", 1)))


def to_text(blob: bytes, user_name: Callable[[int], str] = _user_name,
            group_name: Callable[[int], str] = _group_name) -> str:
    if len(blob) < _HEADER.size or (len(blob) - _HEADER.size) % _ENTRY.size:
        raise AclError("not a POSIX ACL")
    (version,) = _HEADER.unpack_from(blob)
    if version != VERSION:
        raise AclError(f"POSIX ACL version {version}, not {VERSION}")
    lines = []
    for tag, perm, ident in _ENTRY.iter_unpack(blob[_HEADER.size:]):
        if tag not in _TAGS:
            raise AclError(f"unknown ACL entry tag {tag:#x}")
        word, named = _TAGS[tag]
        qualifier = (user_name if word == "user" else group_name)(ident) if named else ""
        lines.append(f"{word}:{qualifier}:{_perms(perm)}")
    return "".join(line + "\n" for line in lines)


def from_text(text: str, user_id: Callable[[str], int] = _user_id, group_id: Callable[[str], int] = _group_id) -> bytes:
    entries = []
    for line in text.replace(",", "\n").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split(":")
        if len(fields) not in (3, 4):  # star's long form adds ":id"
            raise AclError(f"not an ACL entry: {line!r}")
        word, qualifier, perm = fields[:3]
        tag = _TAG_OF.get((word, bool(qualifier)))
        if tag is None or len(perm) != 3 or any(c not in f"{l}-" for c, l in zip(perm, "rwx")):
            raise AclError(f"not an ACL entry: {line!r}")
        ident = (user_id if word == "user" else group_id)(qualifier) if qualifier else UNDEFINED_ID
        bits = sum(value for c, value in zip(perm, (4, 2, 1)) if c != "-")
        entries.append((tag, bits, ident))
    # The kernel wants the entries in this order (owner, named users by id, ...).
    entries.sort(key=lambda entry: (entry[0], entry[2]))
    return _HEADER.pack(VERSION) + b"".join(_ENTRY.pack(*entry) for entry in entries)


def read(fd: int) -> dict[str, str]:
    """The extended ACLs of an open file or directory, as pax headers (none: {})."""
    headers = {}
    for xattr, key in PAX_KEYS.items():
        try:
            headers[key] = to_text(os.getxattr(fd, xattr))
        except OSError as e:
            if e.errno not in _NO_ACL:
                raise
    return headers


def write(fd: int, headers: Mapping[str, str], is_dir: bool) -> None:
    """Give an open file exactly the ACLs in `headers` (removing any others it has)."""
    for xattr, key in PAX_KEYS.items():
        if xattr == DEFAULT_XATTR and not is_dir:
            continue
        if key in headers:
            try:
                os.setxattr(fd, xattr, from_text(headers[key]))
            except OSError as e:
                if e.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise AclError("this filesystem does not support ACLs") from None
                raise
            continue
        try:
            os.removexattr(fd, xattr)
        except OSError as e:
            if e.errno not in _NO_ACL:
                raise
