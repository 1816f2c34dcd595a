"""A hostile student against root's backups and restores (issue 21): each attack as the review ran it.

The student is a forked process that made its home-like folder and then
dropped to an unprivileged uid (65534), acting on its own files while
root's code runs on them: a 2,000-deep tree, a folder swapped for a
symlink in a loop, a 1 TiB sparse file, a backed-up file turned into a
2,000-deep tree before a restore. Crafted archives and an archive swapped
between restore's check and its extraction are root's business by design,
but docs/backup.md promises they cannot write outside the backed-up
folders, so they are tried too. Work that must use bounded descriptors
runs in a child Python under a lowered RLIMIT_NOFILE.
"""

from __future__ import annotations

import contextlib
import json
import re
import os
import signal
import subprocess
import sys
import tarfile
import time
import traceback
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tljh_lite.backup import create as create_module
from tljh_lite.backup import restore, roots, scheduled
from tljh_lite.backup.errors import BackupError
from tljh_lite.backup.manifest import Manifest
from tljh_lite.backup.pinned import pinned
from tljh_lite.backup.putback import extract_files
from tljh_lite.backup.reader import verify
from tljh_lite.backup.remove import remove_tree
from tljh_lite.backup.walk import MAX_DEPTH
from tljh_lite.backup.writer import ArchiveWriter
from tljh_lite.config.defaults import merged
from tljh_lite.paths import Paths

from crafted_archives import crafted, member

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534
DEEP = 2000
TIB = 2**40
FEW_DESCRIPTORS = 150  # the walk's cap (MAX_DEPTH + 1 open folders) and a margin; far below what 2,000 levels need

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="acting as another uid needs root (CI runs as root)")


@pytest.fixture(autouse=True)
def removed_after(tmp_path):
    """Take the test's trees apart at its end: pytest's own clean-up (shutil.rmtree) recurses, and a
    2,000-deep tree ends it with RecursionError."""
    yield
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in os.listdir(fd):
            remove_tree(fd, name)
    finally:
        os.close(fd)


# -- the student ------------------------------------------------------------------------------------------

def student_home(parent: Path, name: str = "jupyter-mallory") -> Path:
    """Her home: root's folders above it, the folder itself hers (as useradd makes it)."""
    home = parent / "home" / name
    home.mkdir(parents=True)
    os.chown(home, NOBODY, NOBODY)
    os.chmod(home, 0o700)
    return home


def _as_student(home: Path, attack: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.chdir(home)  # by root: the folders above are root's 0700
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            attack()
        except BaseException:
            traceback.print_exc()
            code = 1
        os._exit(code)
    return pid


def as_student(home: Path, attack: Callable[[], None]) -> None:
    """Run `attack` as uid 65534 in her home, to the end."""
    _, status = os.waitpid(_as_student(home, attack), 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the student's attack itself failed"


@contextlib.contextmanager
def student_meanwhile(home: Path, attack: Callable[[], None]) -> Iterator[None]:
    """`attack` runs as uid 65534 in her home while the block runs; killed at its end."""
    pid = _as_student(home, attack)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def deep_tree(levels: int = DEEP, top: str = "d", leaf: str = "bottom.txt") -> Callable[[], None]:
    """`levels` nested folders (top/d/d/...), made one at a time as `mkdir d; cd d` would, and a file at the bottom."""
    def build():
        start = os.open(".", os.O_RDONLY)
        os.mkdir(top)
        os.chdir(top)
        for _ in range(levels - 1):
            os.mkdir("d")
            os.chdir("d")
        Path(leaf).write_text("at the bottom\n")
        os.fchdir(start)
    return build


def swap_forever():
    """Her folder `work`, swapped for a symlink to /etc and back, as fast as she can."""
    while True:
        os.rename("work", "work.real")
        os.symlink("/etc", "work")
        os.unlink("work")
        os.rename("work.real", "work")


def huge_sparse_file():
    with open("huge.img", "wb") as f:
        f.truncate(TIB)
        f.write(b"head")
        f.seek(TIB // 2)
        f.write(b"middle")
        f.seek(TIB - 4)
        f.write(b"tail")


def in_child(code: str, timeout: float, descriptors: int | None = None) -> dict:
    """Run `code` (which prints one JSON line last) in a fresh Python with this checkout, optionally with few
    descriptors allowed, and return what it printed."""
    prelude = "import json, resource, sys\n"
    if descriptors:
        prelude += f"resource.setrlimit(resource.RLIMIT_NOFILE, ({descriptors}, {descriptors}))\n"
    done = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def manifest_for(*paths: Path, kind: str = "home") -> Manifest:
    return Manifest("2026-01-01T00:00:00Z", "host", "0.4.0", "6.1.1", "3.11", None, True,
                    roots=[{"path": str(p), "kind": kind} for p in paths])


def back_up(archive: Path, home: Path) -> tuple[ArchiveWriter, Manifest]:
    with open(archive, "wb") as out:
        writer = ArchiveWriter(out)
        writer.add_tree(str(home))
        m = manifest_for(home)
        writer.close(m)
    return writer, m


WALK = """
from tljh_lite.backup.manifest import Manifest
from tljh_lite.backup.writer import ArchiveWriter
home, archive = sys.argv[1:3] if len(sys.argv) > 2 else (%r, %r)
with open(archive, "wb") as out:
    writer = ArchiveWriter(out)
    writer.add_tree(home)
    writer.close(Manifest("now", "host", "0", "6", "3", None, True, roots=[{"path": home, "kind": "home"}]))
print(json.dumps({"entries": writer.entries, "skipped": [[s.path, s.reason] for s in writer.skipped],
                  "sparse": writer.sparse, "size": writer.size}))
"""


# -- 1. a deep tree ---------------------------------------------------------------------------------------

@needs_root
def test_a_2000_deep_tree_is_backed_up_to_the_depth_cap_with_few_descriptors_and_the_rest_listed(tmp_path):
    home = student_home(tmp_path)
    as_student(home, deep_tree())
    archive = tmp_path / "b.tar.gz"
    done = in_child(WALK % (str(home), str(archive)), timeout=120, descriptors=FEW_DESCRIPTORS)
    assert done["entries"] == 1 + MAX_DEPTH  # her home and the folders down to the cap
    [(path, why)] = done["skipped"]
    assert path == str(home) + "/d" * (MAX_DEPTH + 1) and f"more than {MAX_DEPTH} levels deep" in why
    m = verify(archive, tmp_path / "staging").manifest
    assert m.skipped == [{"path": path, "reason": why}] and m.skipped_count == 1


# -- 2. a folder swapped for a symlink while backups run ------------------------------------------------

@needs_root
def test_a_folder_swapped_for_a_symlink_in_a_loop_never_ends_a_backup_and_is_named(tmp_path, monkeypatch):
    home = student_home(tmp_path)

    def her_work():
        os.mkdir("work")
        for i in range(30):
            os.mkdir(f"work/sub{i}")
            Path(f"work/sub{i}/notes.txt").write_text("mine\n")
            os.symlink("notes.txt", f"work/sub{i}/link")

    as_student(home, her_work)
    monkeypatch.setattr(roots, "HOME_BASE", str(home.parent))
    monkeypatch.setattr(create_module.collect, "accounts", lambda plugin_accounts=(): [{"name": home.name, "home": str(home),
                                                                      "groups": []}])
    config = merged({"backup": {"path": str(tmp_path / "backups")}})
    paths = Paths(tmp_path / "opt")
    paths.state_dir.mkdir(parents=True)
    named, runs, deadline = set(), 0, time.monotonic() + 30
    with student_meanwhile(home, swap_forever):
        while (runs < 15 or not named) and time.monotonic() < deadline:
            created = create_module.create(paths, config, no_plugins(), target=str(tmp_path / "b.tar.gz"))
            named |= {s.path for s in created.skipped}
            runs += 1
            m = verify(tmp_path / "b.tar.gz", tmp_path / "staging").manifest
            assert not any(name.startswith(str(home).lstrip("/") + "/work/") and "passwd" in name for name in m.files)
    assert named, f"the swap never hit one of {runs} backups: the test proves nothing"
    assert named <= {str(home / "work"), str(home / "work.real")} | {str(home / "work" / f"sub{i}")
                                                                     for i in range(30)}


def no_plugins():
    from tljh_lite.plugins import plugin_manager

    return plugin_manager(entry_points=[])


# -- 3. a 1 TiB sparse file -------------------------------------------------------------------------------

@needs_root
def test_a_1_tib_sparse_file_backs_up_small_and_restores_sparse(tmp_path):
    home = student_home(tmp_path)
    try:
        as_student(home, huge_sparse_file)
    except AssertionError:
        pytest.skip("this filesystem takes no 1 TiB file")
    archive = tmp_path / "b.tar.gz"
    done = in_child(WALK % (str(home), str(archive)), timeout=120)  # reading the holes would take hours
    name = f"{str(home).lstrip('/')}/huge.img"
    assert done["sparse"] == {name: {"size": TIB, "regions": 3}}
    assert done["size"] < 2**20 and archive.stat().st_size < 64 * 2**10
    m = verify(archive, tmp_path / "staging").manifest
    assert m.size < 2**20 and m.format_version == 2
    restore._check_space(m)  # what it takes on disk, not 1 TiB
    target = tmp_path / "restored"
    target.mkdir()
    extract_files(archive, m, root=str(target))
    back = target / name
    assert back.stat().st_size == TIB and back.stat().st_blocks * 512 < 2**20  # sparse again
    with open(back, "rb") as f:
        for offset, expected in ((0, b"head"), (TIB // 2, b"middle"), (TIB - 4, b"tail"), (TIB // 4, bytes(8)),
                                 (3 * TIB // 4 + 12345, bytes(8))):
            f.seek(offset)
            assert f.read(len(expected)) == expected, offset
    # GNU tar reads the same member back, sparse too.
    gnu = tmp_path / "gnu"
    gnu.mkdir()
    listing = subprocess.run(["tar", "-tvzf", str(archive)], capture_output=True, text=True, check=True).stdout
    assert f"{TIB} " in listing and name in listing
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(gnu), name], check=True, timeout=60)
    assert (gnu / name).stat().st_size == TIB and (gnu / name).stat().st_blocks * 512 < 2**20


# -- 4. restore over a tree made 2,000 deep after the backup ----------------------------------------------

RESTORE = """
from pathlib import Path
from tljh_lite.backup.putback import extract_files
from tljh_lite.backup.reader import verify
from tljh_lite.backup.remove import remove_tree
archive, staging = Path(%r), Path(%r)
manifest = verify(archive, staging).manifest
print(json.dumps({"files": extract_files(archive, manifest)[0]}))
"""


@needs_root
def test_restore_over_a_file_turned_into_a_2000_deep_tree_clears_it_with_few_descriptors(tmp_path):
    home = student_home(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("root's\n")

    def her_notes():
        Path("notes.txt").write_text("the notes in the backup\n")

    as_student(home, her_notes)
    archive = tmp_path / "b.tar.gz"
    back_up(archive, home)

    def deepen():
        os.unlink("notes.txt")
        deep_tree(top="notes.txt")()
        os.symlink(str(outside), "notes.txt/escape")  # never followed while it is removed
        os.symlink(str(outside / "precious"), "notes.txt/d/file-link")

    as_student(home, deepen)
    done = in_child(RESTORE % (str(archive), str(tmp_path / "staging")), timeout=120, descriptors=FEW_DESCRIPTORS)
    assert done["files"] == 1
    assert (home / "notes.txt").read_text() == "the notes in the backup\n" and not (home / "notes.txt").is_symlink()
    assert (outside / "precious").read_text() == "root's\n"
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]  # nothing moved aside is left behind


# -- 5. crafted archives -----------------------------------------------------------------------------------

HOME = "/home/jupyter-a"
ACCOUNT = [{"name": "jupyter-a", "home": HOME, "groups": []}]
HUB_FILE = (member("tljh-backup/config/config.yaml"), b"users: {}\n")
IN_HOME = (member("home/jupyter-a/notes.txt"), b"notes\n")


@pytest.mark.parametrize("members, root, words", [
    # a folder member outside the roots
    ([HUB_FILE, (member("etc/cron.d", tarfile.DIRTYPE, mode=0o777), None)], HOME, "etc/cron.d (folder), outside"),
    # a member changing the mode of a root's parent
    ([HUB_FILE, (member("home", tarfile.DIRTYPE, mode=0o777), None), IN_HOME], HOME, "home (folder), outside"),
    # a hard link out of a root, onto a file of her home
    ([HUB_FILE, IN_HOME, (member("etc/cron.d/evil", tarfile.LNKTYPE, "home/jupyter-a/notes.txt"), None)], HOME,
     "etc/cron.d/evil (hard link), outside"),
    # a hard link in her home onto one of the hub's own files (not restored where the archive says)
    ([HUB_FILE, (member("home/jupyter-a/cfg", tarfile.LNKTYPE, "tljh-backup/config/config.yaml"), None)], HOME,
     "tljh-backup/config/config.yaml (target of the hard link"),
])
def test_a_crafted_archive_with_a_member_outside_its_folders_is_refused_before_anything(tmp_path, members, root,
                                                                                         words):
    archive = tmp_path / "crafted.tar.gz"
    m = manifest_for(Path(root))
    m.accounts = ACCOUNT
    crafted(archive, members, m)
    with pytest.raises(BackupError, match=re.escape(words)):
        verify(archive, tmp_path / "staging")


@pytest.mark.parametrize("root, kind", [
    ("/etc", "plugin data"), ("/home/../etc", "home"), ("/home/../etc", "plugin data"), ("/home", "plugin data"),
    ("/home/jupyter-b", "home"),  # not one of the backup's accounts
    ("/etc/letsencrypt", "certificates"),  # the backup's config has HTTPS off
    ("/srv/course", "anything"),
])
def test_a_crafted_archive_whose_folders_are_not_a_backups_is_refused_and_nothing_changes(tmp_path, monkeypatch,
                                                                                          root, kind):
    from fakes import RecordingRunner

    monkeypatch.setattr(restore, "trust_ca_bundle", lambda: None)
    monkeypatch.setattr(restore, "hub_users", lambda paths: set())
    archive = tmp_path / "crafted.tar.gz"
    m = manifest_for(Path(root), kind=kind)
    m.accounts = ACCOUNT
    name = root.lstrip("/")
    crafted(archive, [HUB_FILE, (member(f"{name}/cron.d/evil"), b"* * * * * root id\n")], m)
    paths = Paths(tmp_path / "opt")
    paths.state_dir.mkdir(parents=True)
    runner = RecordingRunner()
    with pytest.raises(BackupError, match="not a folder a backup holds|unsafe file name|inside another"):
        restore.restore(archive, paths, runner)
    assert runner.calls == [] and not (paths.state_dir / restore.MARKER).exists()
    assert not (paths.state_dir / "restore-staging").exists()


def test_certificate_folders_are_where_the_backups_own_config_puts_them():
    own = merged({"https": {"enabled": True, "tls": {"key": "/etc/ssl/hub.key", "cert": "/etc/ssl/hub.pem"}}})
    acme = merged({"https": {"enabled": True, "letsencrypt": {"email": "a@b.cd", "domains": ["hub.b.cd"]}}})
    assert roots.certificate_paths(own) == ["/etc/ssl/hub.key", "/etc/ssl/hub.pem"]
    assert roots.certificate_paths(acme) == ["/etc/letsencrypt"]
    assert roots.certificate_paths(merged({})) == []
    m = manifest_for(Path("/etc/ssl/hub.key"), kind="certificates")
    roots.check_roots(m, own)
    with pytest.raises(BackupError, match="not a folder a backup holds"):
        roots.check_roots(m, acme)


# -- 6. an archive swapped between restore's check and its extraction ------------------------------------

def two_archives(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A good backup of a home, and another one (same folders, other content) to swap in for it."""
    home = tmp_path / "src" / "home" / "jupyter-a"
    home.mkdir(parents=True)
    (home / "notes.txt").write_text("the real notes\n")
    good, other = tmp_path / "good.tar.gz", tmp_path / "other.tar.gz"
    back_up(good, home)
    (home / "notes.txt").write_text("swapped in after the check\n")
    (home / "planted").write_text("not in the checked backup\n")
    back_up(other, home)
    return good, other, home


@pytest.mark.parametrize("owner, swap", [
    ("root", lambda path, other: os.replace(other, path)),  # root's file: the name swapped
    ("student", lambda path, other: path.write_bytes(other.read_bytes())),  # hers: rewritten in place
])
def test_an_archive_swapped_after_restores_check_has_no_effect(tmp_path, owner, swap):
    good, other, home = two_archives(tmp_path)
    if owner == "student":
        os.chown(good, NOBODY, NOBODY)
    private = tmp_path / "state"
    private.mkdir(mode=0o700)
    target = tmp_path / "target"
    target.mkdir()
    with pinned(good, private) as opened:
        manifest = verify(opened, tmp_path / "staging", str(good)).manifest
        swap(good, other)
        extract_files(opened, manifest, str(good), root=str(target))
    restored = target / str(home).lstrip("/")
    assert (restored / "notes.txt").read_text() == "the real notes\n" and not (restored / "planted").exists()
    assert list(private.iterdir()) == []  # the private copy had no name, and is gone


# -- 7. a scheduled run ended by anything is recorded -------------------------------------------------------

@pytest.mark.parametrize("error, words", [
    (RecursionError("maximum recursion depth exceeded"), "RecursionError: maximum recursion depth exceeded"),
    (OSError(24, "Too many open files"), "Too many open files"),
    (KeyboardInterrupt(), "interrupted before it finished"),
    ("SIGTERM", "stopped (SIGTERM) before it finished"),
])
def test_a_scheduled_backup_ended_by_any_exception_is_recorded_as_failed_and_needs_attention(tmp_path, monkeypatch,
                                                                                           error, words):
    from tljh_lite.status.collect import backup as backup_status

    paths = Paths(tmp_path)
    paths.state_dir.mkdir()
    seen_while_running = []

    def dies(*args, **kwargs):
        seen_while_running.append(scheduled.last_scheduled(paths))
        if error == "SIGTERM":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        raise error

    monkeypatch.setattr(scheduled, "create", dies)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises((BaseException,)):
        scheduled.run_scheduled(paths, merged({}), None)
    assert signal.getsignal(signal.SIGTERM) == before
    attempt = scheduled.last_scheduled(paths)
    assert not attempt.ok and words in attempt.result
    assert "has not finished" in seen_while_running[0].result  # killed outright (SIGKILL, OOM): still a failure
    assert backup_status(merged({}), paths)["problem"] == "the last scheduled backup failed"


def test_a_scheduled_backup_that_skipped_entries_says_so_and_needs_attention(tmp_path, monkeypatch, capsys):
    from tljh_lite.status import render
    from tljh_lite.status.collect import backup as backup_status
    from tljh_lite.backup.writer import Skipped

    paths = Paths(tmp_path)
    paths.state_dir.mkdir()
    skipped = [Skipped(f"/home/jupyter-m/d{'/d' * 100}", "a folder more than 100 levels deep: left out")] * 7
    made = create_module.Created("/b.tar.gz", 1000, "ab", 1, 2, 1.0, skipped=skipped, skipped_count=7)
    monkeypatch.setattr(scheduled, "create", lambda *a, **k: made)
    monkeypatch.setattr(scheduled, "rotate", lambda folder, keep: [])
    monkeypatch.setattr(scheduled, "backup_folder", lambda config: tmp_path)
    scheduled.run_scheduled(paths, merged({}), None)
    attempt = scheduled.last_scheduled(paths)
    assert attempt.ok and attempt.result.endswith("7 entries skipped")
    assert attempt.notes[0].startswith("skipped /home/jupyter-m/d/d") and "... and 2 more" in attempt.notes[-1]
    state = backup_status(merged({}), paths)
    assert state["problem"] == "the last scheduled backup left entries out, listed with why"
    text = render.text({"time": 0, "versions": {"tljh-lite": "x", "jupyterhub": "y"}, "services": [], "servers": [],
                        "backup": state, "problems": []})
    assert "ok: Backup written /b.tar.gz" in text and "skipped /home/jupyter-m/d/d" in text


@pytest.mark.parametrize("kind, path, accepted", [
    ("home", "/home/jupyter-a", True),
    ("home", "/home/jupyter-b", False),  # no such account in the backup
    ("home", "/home/../etc", False),
    ("home", "/home/jupyter-a/", False),
    ("plugin data", "/srv/course", True),
    ("plugin data", "/opt/tljh/test-plugin", True),
    ("plugin data", "/etc", False),
    ("plugin data", "/etc/cron.d", False),
    ("plugin data", "/home/../etc", False),
    ("plugin data", "/home", False),
    ("plugin data", "/srv", False),
    ("plugin data", "/opt/tljh/state", False),
    ("plugin data", "/root/.ssh", False),
    ("certificates", "/etc/letsencrypt", False),  # HTTPS is off in this backup's config
])
def test_the_roots_of_a_backup_are_checked_by_the_rules_a_backup_is_made_by(kind, path, accepted):
    m = manifest_for(Path("/"))
    m.roots, m.accounts = [{"path": path, "kind": kind}], ACCOUNT
    if accepted:
        roots.check_roots(m, merged({}))
    else:
        with pytest.raises(BackupError, match="not a folder a backup holds"):
            roots.check_roots(m, merged({}))


def test_an_account_that_is_not_a_hub_account_is_refused():
    m = manifest_for(Path("/home/jupyter-a"))
    m.accounts = [{"name": "root", "home": "/root", "groups": ["sudo"]}]
    with pytest.raises(BackupError, match="not a hub account"):
        roots.check_roots(m, merged({}))


@pytest.mark.parametrize("account, words", [
    ({"name": "grader-data101", "home": "/srv/nbgrader/graders/grader-data101"}, None),
    ({"name": "grader-data101", "home": "/root"}, "the home '/root', which is not a folder a backup holds"),
    ({"name": "grader-data101", "home": "/home"}, "which is not a folder a backup holds"),
    ({"name": "../etc", "home": "/srv/x"}, "not a plugin account's name"),
    ({"name": "jupyter-ada", "home": "/srv/x"}, "not a plugin account's name"),
])
def test_a_plugins_account_in_a_backup_has_a_plain_name_and_a_data_folder_for_home(account, words):
    m = manifest_for(Path("/home/jupyter-a"))
    m.accounts = [{"name": "jupyter-a", "home": "/home/jupyter-a", "groups": []},
                  {**account, "groups": [], "plugin": True}]
    if words is None:
        roots.check_roots(m, merged({}))
    else:
        with pytest.raises(BackupError, match=re.escape(words)):
            roots.check_roots(m, merged({}))


def test_restore_makes_only_the_plugin_accounts_the_installed_plugins_declare():
    from fakes import RecordingRunner
    from tljh_lite.backup.putback import recreate_accounts

    runner = RecordingRunner()
    accounts = [{"name": "root", "home": "/srv/evil", "groups": ["daemon"], "plugin": True},
                {"name": "daemon", "home": "/usr/sbin", "groups": ["daemon"], "plugin": True}]
    count, warnings = recreate_accounts(runner, accounts, declared=["daemon"])
    assert count == 1
    assert warnings == ["the backup's account root is no installed plugin's: not made"]
    assert not any("root" in call for call in runner.calls), runner.calls
