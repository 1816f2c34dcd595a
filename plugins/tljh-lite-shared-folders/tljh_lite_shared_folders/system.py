"""Making the machine match the plan: folders, their ACLs, and links in homes.

Everything here is idempotent and changes nothing that is already right, so it
can run on every bootstrap. External commands go through tljh-lite's Runner
(logged, and a failure raises CommandError with the command's output).
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from tljh_lite.runner import Runner
from tljh_lite.users.accounts import USERS_GROUP, ensure_group

from .plan import Folder, SharedFoldersError, parse_getfacl, setfacl_command

log = logging.getLogger("tljh_lite")
STUDENT_PREFIX = "jupyter-"


def ensure_folder(runner: Runner, folder: Folder) -> list[str]:
    """Create the folder if needed and give it its owner, group, mode and ACL; what changed."""
    path = Path(folder.path)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise SharedFoldersError(
            f"{path} exists and is not a folder (the {folder.key} folder must be a real folder)",
            f"move it away, or choose another path: sudo tljh-config set shared_folders.{folder.key}.path PATH",
        )
    changed = []
    if not path.exists():
        path.mkdir(parents=True)  # parents: 0755 (the umask), so students can reach it
        changed.append("created")
    ensure_group(runner, folder.group)
    uid, gid = pwd.getpwnam(folder.owner).pw_uid, grp.getgrnam(folder.group).gr_gid
    st = os.lstat(path)
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid, follow_symlinks=False)
        changed.append(f"owner {folder.owner}:{folder.group}")
    current = runner.run(["getfacl", "--omit-header", "--no-effective", "--absolute-names", path], quiet=True)
    if parse_getfacl(current.stdout) != set(folder.acl):
        runner.run(setfacl_command(folder), hint="is the acl package installed, and does the filesystem support ACLs?")
        changed.append("ACL")
    # After the ACL: setting it rewrites the group bits of the mode (the mask).
    if stat.S_IMODE(os.lstat(path).st_mode) != folder.mode:
        os.chmod(path, folder.mode)
        changed.append(f"mode {folder.mode:o}")
    if changed:
        log.info("shared folder %s (%s): %s", folder.path, folder.key, ", ".join(changed))
    return changed


@dataclass(frozen=True)
class LinkResult:
    path: Path
    outcome: str  # "ok", "created", "replaced", "owner fixed" or "skipped: why"


def ensure_link(home: Path, name: str, target: str, uid: int, gid: int) -> LinkResult:
    """~/name -> target, owned by the student. A real file or folder of theirs is left alone."""
    link = home / name
    if link.is_symlink():
        if os.readlink(link) == target:
            st = os.lstat(link)
            if (st.st_uid, st.st_gid) != (uid, gid):
                os.lchown(link, uid, gid)
                return LinkResult(link, "owner fixed")
            return LinkResult(link, "ok")
        outcome = "replaced"  # a link to an older path: links hold no data
    elif os.path.lexists(link):
        log.warning("not linking %s to %s: the student has a file or folder of that name", link, target)
        return LinkResult(link, "skipped: a file or folder of that name exists")
    else:
        outcome = "created"
    # Made under another name and renamed over: the link is never missing or root's.
    tmp = home / f".{name}.{secrets.token_hex(4)}.tljh-tmp"
    os.symlink(target, tmp)
    try:
        os.lchown(tmp, uid, gid)
        os.replace(tmp, link)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    log.info("linked %s -> %s (%s)", link, target, outcome)
    return LinkResult(link, outcome)


def link_into_home(username: str, folders: list[Folder]) -> list[LinkResult]:
    """Every folder's link in this unix account's home (skipped, with a warning, if it has no home)."""
    account = pwd.getpwnam(username)
    home = Path(account.pw_dir)
    if not home.is_dir() or home.is_symlink():
        log.warning("not linking shared folders for %s: %s is not a folder", username, home)
        return []
    return [ensure_link(home, f.link_name, f.path, account.pw_uid, account.pw_gid) for f in folders]


def existing_students() -> list[str]:
    """The jupyter-* accounts in jupyterhub-users (students and admins who have logged in), sorted."""
    try:
        members = grp.getgrnam(USERS_GROUP).gr_mem
    except KeyError:
        return []
    names = []
    for name in members:
        if not name.startswith(STUDENT_PREFIX):
            continue
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        names.append(name)
    return sorted(names)
