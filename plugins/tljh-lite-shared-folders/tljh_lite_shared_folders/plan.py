"""What the shared folders should look like, computed from the config (pure: no I/O).

Permissions model (README.md explains it for people):

- Both folders are owned by root, setgid (new files and subfolders take the
  folder's group, not the creator's own group) and closed to everyone else
  (mode 2770).
- POSIX default ACLs are copied onto everything created inside, at any depth,
  so that a file keeps the right group permissions whoever creates it and
  whatever their umask: when a directory has a default ACL, the kernel ignores
  the umask and uses the default ACL, limited only by the mode the program asks
  for (acl(5), "OBJECT CREATION AND DEFAULT ACLs"). Jupyter asks for 0666
  (files, its `.~name` atomic-save copies) and 0777 (folders,
  `.ipynb_checkpoints`), so the group keeps write access.
- course: group jupyterhub-admins rwx (instructors), named group
  jupyterhub-users r-x (students read).
- scratch: group jupyterhub-users rwx (every student; admins are members too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from tljh_lite.errors import TljhError
from tljh_lite.users.accounts import ADMINS_GROUP, USERS_GROUP

SECTION = "shared_folders"
FOLDER_MODE = 0o2770  # setgid; owner and group rwx; nobody else

# An absolute, normalised folder path that is not a system folder, a student's
# home or temporary: post-install changes the group and ACL of this folder.
_SYSTEM_TREES = "bin|boot|dev|etc|lib|lib32|lib64|libx32|proc|root|run|sbin|sys|usr|tmp|var/tmp|opt/tljh|home/jupyter-[^/]*"
_SYSTEM_FOLDERS = "home|opt|srv|var|mnt|media"
PATH_PATTERN = (
    rf"^(?!/({_SYSTEM_TREES})(/|\Z))"
    rf"(?!/({_SYSTEM_FOLDERS})\Z)"
    r"(?!.*/\.\.?(/|\Z))"
    r"/[^/\x00\n]+(/[^/\x00\n]+)*\Z"
)
PATH_EXPECTED = (
    "an absolute folder path like /srv/course (not '/', not ending in '/', and not a system folder "
    "like /etc or /usr, /tmp, /opt/tljh or a student's home)"
)
# A plain file name in the student's home: no '/', not hidden, not '.' or '..'.
LINK_PATTERN = r"^[^./\x00\n][^/\x00\n]{0,254}\Z"
LINK_EXPECTED = "a plain file name like course (no '/', not starting with '.')"


def _folder_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean"},
            "path": {"type": "string", "pattern": PATH_PATTERN, "x-expected": PATH_EXPECTED},
            "link_name": {"type": "string", "pattern": LINK_PATTERN, "x-expected": LINK_EXPECTED},
        },
        "additionalProperties": False,
    }


def config_schema() -> dict[str, dict]:
    return {
        SECTION: {
            "type": "object",
            "properties": {"course": _folder_schema(), "scratch": _folder_schema()},
            "additionalProperties": False,
        }
    }


DEFAULTS: dict[str, Any] = {
    SECTION: {
        "course": {"enabled": True, "path": "/srv/course", "link_name": "course"},
        "scratch": {"enabled": True, "path": "/srv/scratch", "link_name": "scratch"},
    }
}


class SharedFoldersError(TljhError):
    pass


@dataclass(frozen=True)
class Folder:
    key: str  # "course" or "scratch"
    path: str
    link_name: str
    group: str  # the owning group, inherited by everything inside (setgid)
    acl: tuple[str, ...]  # access and default entries, in getfacl's words
    owner: str = "root"
    mode: int = FOLDER_MODE


def _acl(entries: list[str]) -> tuple[str, ...]:
    """The same entries as the folder's access ACL and as its default ACL (for new files)."""
    return tuple(entries + [f"default:{entry}" for entry in entries])


def course_acl() -> tuple[str, ...]:
    # group:: is the owning group, jupyterhub-admins: instructors write.
    return _acl(["user::rwx", "group::rwx", f"group:{USERS_GROUP}:r-x", "mask::rwx", "other::---"])


def scratch_acl() -> tuple[str, ...]:
    # group:: is jupyterhub-users already; the named entry keeps files written by
    # every student when a file's owning group is another one (`chgrp`, `cp -p`).
    return _acl(["user::rwx", "group::rwx", f"group:{USERS_GROUP}:rwx", "mask::rwx", "other::---"])


_KINDS = {
    "course": (ADMINS_GROUP, course_acl),
    "scratch": (USERS_GROUP, scratch_acl),
}


def plan(config: Mapping[str, Any]) -> list[Folder]:
    """The enabled folders of a merged config; a clear error for values that cannot work together."""
    section = config.get(SECTION) or DEFAULTS[SECTION]
    folders = []
    for key, (group, acl) in _KINDS.items():
        settings = {**DEFAULTS[SECTION][key], **(section.get(key) or {})}
        if not settings["enabled"]:
            continue
        path, link_name = settings["path"], settings["link_name"]
        if not isinstance(path, str) or not re.search(PATH_PATTERN, path):
            raise SharedFoldersError(f"{SECTION}.{key}.path must be {PATH_EXPECTED}, not {path!r}")
        if not isinstance(link_name, str) or not re.search(LINK_PATTERN, link_name):
            raise SharedFoldersError(f"{SECTION}.{key}.link_name must be {LINK_EXPECTED}, not {link_name!r}")
        folders.append(Folder(key, path, link_name, group, acl()))
    _check_apart(folders)
    return folders


def _check_apart(folders: list[Folder]) -> None:
    for i, a in enumerate(folders):
        for b in folders[i + 1 :]:
            if a.link_name == b.link_name:
                raise SharedFoldersError(
                    f"{SECTION}.{a.key}.link_name and {SECTION}.{b.key}.link_name are both {a.link_name!r}",
                    f"give one another name: sudo tljh-config set {SECTION}.{b.key}.link_name NAME",
                )
            if _inside(a.path, b.path) or _inside(b.path, a.path):
                raise SharedFoldersError(
                    f"{SECTION}.{a.key}.path ({a.path}) and {SECTION}.{b.key}.path ({b.path}) overlap",
                    "each folder needs its own permissions: give them separate paths",
                )


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def parse_getfacl(text: str) -> set[str]:
    """`getfacl --omit-header --no-effective` output -> its entries, without comments."""
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def setfacl_command(folder: Folder) -> list[str]:
    """Replace the folder's whole ACL (access and default) with the planned one."""
    return ["setfacl", "--physical", "--set", ",".join(folder.acl), folder.path]
