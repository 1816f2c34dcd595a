"""Making the machine match the courses: nbgrader installed, accounts, groups, folders, config files.

Idempotent, changes nothing that is already right, never walks into a folder
(students write the exchange: a root walk there would be a walk over their
files). Commands go through tljh-lite's Runner.
"""

from __future__ import annotations

import grp
import importlib.metadata
import logging
import os
import pwd
import stat
from pathlib import Path
from typing import Any, Mapping

from tljh_lite.backup import acl
from tljh_lite.files import write_if_changed
from tljh_lite.installer.uv import pip_install_into
from tljh_lite.paths import Paths
from tljh_lite.runner import Runner
from tljh_lite.systemd import Systemd
from tljh_lite.units.manager import UNIT_DIR, UnitManager
from tljh_lite.users.accounts import add_to_group, ensure_group, ensure_system_user

from . import nbconfig
from .layout import Folder, course_folders, shared_folders
from .model import NBGRADER, UNIT_PREFIX, Course, CourseError
from .tokens import ensure_token, remove_token
from .units import formgrader_unit

log = logging.getLogger("tljh_lite")
DISTRIBUTION = "tljh-lite-courses"


def user_packages() -> list[str]:
    """What the students' environment needs once a course exists: nbgrader, and this
    distribution (its tljh_lite_courses_nbgrader runs inside nbgrader)."""
    return [NBGRADER, own_source()]


def own_source() -> str:
    """A pip requirement for this very distribution: the folder, URL or version it was installed from."""
    from tljh_lite.backup.collect import plugin_source

    dist = importlib.metadata.distribution(DISTRIBUTION)
    return plugin_source(DISTRIBUTION, dist.version, dist.read_text("direct_url.json"))


def nbgrader_installed(paths: Paths) -> bool:
    wanted = NBGRADER.split("==")[1]
    sites = [str(site) for site in paths.user_venv.glob("lib/python3*/site-packages")]
    versions = {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions(path=sites)}
    return versions.get("nbgrader") == wanted and DISTRIBUTION in versions


def ensure_nbgrader(runner: Runner, paths: Paths) -> bool:
    """nbgrader (and our part of it) in the students' environment; True if it was installed now."""
    if nbgrader_installed(paths):
        return False
    from tljh_lite.installer.cabundle import trust_ca_bundle

    trust_ca_bundle()  # outside bootstrap (tljh-lite course create): downloads trust the system's CA bundle
    pip_install_into(runner, paths, str(paths.user_venv / "bin" / "python3"), user_packages(),
                     hint="nbgrader could not be installed into the students' environment (the error is above)")
    return True


def ensure_environment_config(paths: Paths) -> list[Path]:
    """nbgrader's global config and the extensions students do not get, in the students' environment."""
    etc = paths.user_venv / "etc" / "jupyter"
    files = {
        etc / "nbgrader_config.py": nbconfig.GLOBAL_NBGRADER_CONFIG,
        etc / "jupyter_server_config.d" / "tljh-lite-courses.json": nbconfig.SERVER_EXTENSIONS_OFF,
        etc / "labconfig" / "page_config.json": nbconfig.LAB_PLUGINS_OFF,
    }
    changed = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if write_if_changed(path, text, 0o644):
            changed.append(path)
    return changed


def ensure_course(runner: Runner, paths: Paths, course: Course, config: Mapping[str, Any]) -> list[str]:
    """The course's groups, grader account, folders, config files and formgrader unit; what changed."""
    changed = []
    for group in (course.students_group, course.staff_group):
        ensure_group(runner, group)
    if ensure_system_user(runner, course.grader_account, course.grader_home):
        changed.append(f"account {course.grader_account}")
    for group in (course.students_group, course.staff_group):
        add_to_group(runner, course.grader_account, group)
    for folder in shared_folders() + course_folders(course):
        changed += ensure_folder(folder)
    changed += ensure_staff_shared(course)
    changed += ensure_gradebook(course)
    grader = pwd.getpwnam(course.grader_account)
    owned = (grader.pw_uid, grader.pw_gid)
    jupyter = course.grader_home / ".jupyter"
    for path in (jupyter, jupyter / "labconfig"):
        path.mkdir(mode=0o700, exist_ok=True)
        os.chown(path, *owned)
    server_config = nbconfig.grader_server_config(secure_cookies=config["https"]["enabled"])
    for path, text in ((jupyter / "jupyter_server_config.json", server_config),
                       (jupyter / "labconfig" / "page_config.json", nbconfig.GRADER_LAB_CONFIG),
                       (course.root / "nbgrader_config.py", nbconfig.course_config(course))):
        if write_if_changed(path, text, 0o644):  # root's: the formgrader (and students' code it runs) cannot change it
            changed.append(str(path))
    changed += ensure_formgrader(runner, paths, course, config, restart=bool(changed))
    if changed:
        log.info("course %s: %s", course.name, ", ".join(changed))
    return changed


def ensure_formgrader(runner: Runner, paths: Paths, course: Course, config: Mapping[str, Any],
                      restart: bool = False) -> list[str]:
    """The formgrader's token and unit, running with what it reads now (`restart`: its files changed)."""
    ensure_token(paths, course.name)
    unit = formgrader_unit(course)
    manager = UnitManager(paths, runner, catalog=(unit,))
    written = manager.write_units(config)
    systemd = Systemd(runner)
    if written or restart or not systemd.is_active(unit.name):
        systemd.enable(unit.name)
        systemd.restart(unit.name, wait=True)
        return [f"{unit.name} (re)started"]
    return []


def retire_formgraders(runner: Runner, paths: Paths, keep: set[str], unit_dir: Path = UNIT_DIR) -> list[str]:
    """Stop and remove the formgrader units (and tokens) of courses no longer in config.yaml."""
    gone = []
    for path in sorted(unit_dir.glob(f"{UNIT_PREFIX}*.service")):
        name = path.name[len(UNIT_PREFIX):-len(".service")]
        if name in keep:
            continue
        runner.run(["systemctl", "disable", "--now", "--quiet", path.name], check=False)
        runner.run(["systemctl", "reset-failed", path.name], check=False, quiet=True)  # stopped mid-start: "failed"
        path.unlink()
        remove_token(paths, name)
        gone.append(path.name)
    if gone:
        Systemd(runner).daemon_reload()
        log.info("formgraders of removed courses stopped: %s", ", ".join(gone))
    return gone


def ensure_folder(folder: Folder) -> list[str]:
    """The folder exists with its owner, group and mode (a symlink or file in its place is an error)."""
    path = folder.path
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise CourseError(f"{path} exists and is not a folder", "move it away, then run the command again")
    done = []
    if not path.exists():
        path.mkdir(mode=0o700)
        done.append(f"made {path}")
    uid, gid = pwd.getpwnam(folder.owner).pw_uid, grp.getgrnam(folder.group).gr_gid
    st = os.lstat(path)
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid, follow_symlinks=False)
        done.append(f"{path} owner {folder.owner}:{folder.group}")
    if stat.S_IMODE(os.lstat(path).st_mode) != folder.mode:  # after chown, which clears setgid
        os.chmod(path, folder.mode)
        done.append(f"{path} mode {folder.mode:o}")
    return done


# What anyone makes in a course folder (an instructor in her terminal, umask 022, or the formgrader)
# stays writable by the course's staff group, the formgrader included, and closed to others: a default
# ACL gives new files and folders the group's rwx whatever the maker's umask (acl(5), "OBJECT CREATION").
STAFF_SHARED = "user::rwx\ngroup::rwx\nother::---\n"


def ensure_staff_shared(course: Course) -> list[str]:
    fd = os.open(course.root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        wanted = acl.from_text(STAFF_SHARED)
        try:
            if os.getxattr(fd, acl.DEFAULT_XATTR) == wanted:
                return []
        except OSError:
            pass
        os.setxattr(fd, acl.DEFAULT_XATTR, wanted)
        return [f"{course.root}: new files shared with {course.staff_group}"]
    finally:
        os.close(fd)


def ensure_gradebook(course: Course) -> list[str]:
    """The gradebook exists, and the course's staff group may write it (0660).

    Whoever first runs an nbgrader command makes it otherwise: an instructor's
    `nbgrader db ...` in her own terminal (umask 022) would leave a file the
    formgrader, as the grader account, cannot write. An empty file is an empty
    SQLite database; nbgrader adds its tables. Opened without following links
    (staff write this folder): a link in its place is refused.
    """
    path = course.gradebook
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o660)
        grader = pwd.getpwnam(course.grader_account)
        os.fchown(fd, grader.pw_uid, grp.getgrnam(course.staff_group).gr_gid)
        os.fchmod(fd, 0o660)
        os.close(fd)
        return [f"made {path}"]
    except OSError as e:
        raise CourseError(f"{path} is not a file the course can use ({e.strerror})",
                          "move it away, then run the command again") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise CourseError(f"{path} is not a file", "move it away, then run the command again")
        if stat.S_IMODE(st.st_mode) & 0o060 != 0o060:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) | 0o060)
            return [f"{path} writable by {course.staff_group}"]
        return []
    finally:
        os.close(fd)


def existing_graders() -> list[str]:
    """Grader accounts that own a course folder on disk, removed courses' (archive) included."""
    from .model import ARCHIVE, COURSES

    names = set()
    folders = _entries(COURSES) + [Path(e) / "course" for e in _entries(ARCHIVE)]
    for folder in folders:
        try:
            owner = pwd.getpwuid(os.lstat(folder).st_uid).pw_name
        except (KeyError, OSError):
            continue
        if owner.startswith("grader-"):
            names.add(owner)
    return sorted(names)


def _entries(parent: Path) -> list[str]:
    try:
        return [entry.path for entry in os.scandir(parent)]
    except OSError:
        return []
