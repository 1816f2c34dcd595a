"""Bundles made on this (connected) machine, as a professor makes one: from a checkout, with the
system's python3, where tljh-lite is not installed (`python3 -m tljh_lite.bundle create`).

Making one downloads a few hundred MB, so both are kept under engine.STATE_DIR
like the images: the downloads in one cache (uv's, pip's, apt's per release),
and each bundle by a digest of what it is made from (the checkout's files, the
release, the version). The two releases' sessions share them: each bundle is
made once, under a lock of its own, and a session that asks for one being
made waits for it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from engine import RELEASES, STATE_DIR, HarnessError, lock, tail
from installed import CHECKOUT

log = logging.getLogger(__name__)

BUNDLES = STATE_DIR / "bundles"
CACHE = STATE_DIR / "bundle-cache"
SYSTEM_PYTHON = "/usr/bin/python3"
KEEP = 6  # bundles kept; older ones are removed when a new one is made


# What a bundle is made from: the package, bootstrap, what building the wheel reads, and the plugin
# every test bundle holds (its hooks ask for a Debian package and Python packages for both environments).
PLUGIN = "plugins/tljh-lite-test-plugin"
BUNDLED = ("pyproject.toml", "README.md", "installer/", "tljh_lite/", "tljh/", PLUGIN + "/")
# A course's own packages for the students' environment (--user-requirements): pure Python, small.
USER_REQUIREMENTS = "tabulate\n"


def checkout_files() -> list[str]:
    """The checkout's files that go into a bundle (tracked and new, nothing ignored, as copy_checkout)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=CHECKOUT, capture_output=True, check=True).stdout.decode().split("\0")
    return sorted(name for name in listed if name.startswith(BUNDLED) and (CHECKOUT / name).is_file())


def bumped(version: str) -> str:
    """0.3.0 -> 0.3.1: a newer version of the same code, to prove the upgrade path."""
    parts = version.split(".")
    return ".".join(parts[:-1] + [str(int(re.match(r"\d+", parts[-1]).group()) + 1)])


def bundle(release: str, version_bump: bool = False) -> Path:
    """The bundle of this checkout for `release` (its version bumped if asked), with the test plugin and a
    course's requirements, made if not made yet."""
    files = checkout_files()
    digest = hashlib.sha256(f"{release}\0{version_bump}\0{USER_REQUIREMENTS}\0".encode())
    for name in files:
        digest.update(name.encode() + b"\0" + (CHECKOUT / name).read_bytes())
    out = BUNDLES / f"{release}-{'newer-' if version_bump else ''}{digest.hexdigest()[:16]}.tar"
    if out.exists():
        return out
    # One lock per bundle: the releases' sessions make theirs side by side (bundle create locks what it
    # shares in the cache), and a session that wants the other's waits for it instead of making it again.
    with lock(f"bundle-{out.stem}", timeout=3600):
        if out.exists():
            return out
        BUNDLES.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="tljh-lite-bundle-src-", dir="/var/tmp") as tmp:
            source = Path(tmp) / "tljh-lite"
            for name in files:
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                (source / name).write_bytes((CHECKOUT / name).read_bytes())
            if version_bump:
                _bump(source)
            _make(source, release, out)
        _forget_old()
    return out


def _bump(source: Path) -> None:
    init = source / "tljh_lite" / "__init__.py"
    old = re.search(r'__version__ = "([^"]+)"', init.read_text()).group(1)
    new = bumped(old)
    for path in (init, source / "pyproject.toml"):
        text = path.read_text()
        path.write_text(text.replace(f'"{old}"', f'"{new}"', 1))


def _make(source: Path, release: str, out: Path) -> None:
    started = time.monotonic()
    requirements = source / "course-requirements.txt"
    requirements.write_text(USER_REQUIREMENTS)
    command = [SYSTEM_PYTHON, "-m", "tljh_lite.bundle", "create", "--release", release, "--source", str(source),
               "--out", str(out), "--cache", str(CACHE), "--plugin", str(source / PLUGIN),
               "--user-requirements", str(requirements)]
    proc = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise HarnessError(f"making the {release} bundle failed (exit {proc.returncode}):\n"
                           f"{tail(proc.stdout)}\n{tail(proc.stderr)}")
    log.info("made %s in %.0f s:\n%s", out, time.monotonic() - started, proc.stdout)


def _forget_old() -> None:
    made = sorted(BUNDLES.glob("*.tar"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in made[KEEP:]:
        old.unlink(missing_ok=True)


def prefetch(releases: list[str], also) -> threading.Thread:
    """Make the bundles `releases` need (each release's, its newer one, and every other release's: the
    one a wrong-release test carries), then run each of `also` (the campus's image), in the background.

    conftest.py starts this when the session collects a test that needs them, so they are made while
    the modules before those tests run. A failure here is only logged: the test that asks for the
    bundle makes it again, and fails with the reason.
    """
    def make() -> None:
        wanted = [(r, False) for r in releases] + [(r, True) for r in releases]
        wanted += [(r, False) for r in RELEASES if r not in releases]
        for release, newer in wanted:
            try:
                bundle(release, version_bump=newer)
            except Exception:  # noqa: BLE001  (the foreground will say why)
                log.exception("making the %s bundle in the background failed", release)
        for job in also:
            try:
                job()
            except Exception:  # noqa: BLE001
                log.exception("%s in the background failed", job.__name__)

    thread = threading.Thread(target=make, name="bundles", daemon=True)
    thread.start()
    return thread
