#!/usr/bin/env python3
"""Install tljh-lite on this machine: a JupyterHub for a class, run by systemd.

    curl -L URL/installer/bootstrap.py | sudo python3 - --admin prof
    sudo python3 bootstrap.py --bundle tljh-lite-0.3.0-bookworm-amd64.tar --admin prof   # with no network

This script only gets the machine far enough to run the real installer: it
checks the machine before touching anything, makes the hub's Python
environment under the prefix (/opt/tljh), installs tljh-lite and JupyterHub
into it with uv, and hands over to `python -m tljh_lite.installer`, passing on
the installer's own options as they were typed.

It uses the standard library only, keeps to syntax that older Pythons can
parse (so they reach the "Python is too old" check instead of a SyntaxError),
and calls main() on its last line only, so a truncated download does nothing.
Only main() reads the environment; everything else takes its inputs.

No secret goes on a command line or into the log: admin passwords reach the
installer on its standard input; a password can come from the terminal, a
root-only file or $TLJH_ADMIN_PASSWORD instead of `ps`-visible arguments;
credentials inside URLs are hidden in the log (which the progress page
serves on port 80) and on the terminal.

The sections, in order; each begins with a `# ----` line of that name:

- shared with the package: constants the package defines too, each naming its
  twin (functions with a twin name it in their docstring)
- bootstrap's own constants: supported systems, minimums, timeouts, uv's excludes
- errors: BootstrapError (one line: what is wrong; what to do), PreflightFailed
- arguments: --admin NAME[:PASSWORD]; bootstrap's own options, and the
  installer's, declared for --help and passed on to it as typed
- admin passwords that no process list shows: the terminal prompt, a
  root-only file, $TLJH_ADMIN_PASSWORD
- credentials in URLs: redact_urls, for everything shown or logged
- the web proxy and the mirror: http(s)_proxy from the environment (else the
  ones the last install saved), --index-url; Downloads, what children get
- bundles: --bundle FILE, its manifest checked against this machine, its sums
  checked as it is unpacked, and apt, pip and uv pointed at it alone
- --source: what to install, as a requirement for uv with the hub extra
- preflight checks: one pure function per check (plain values in,
  BootstrapError out)
- the real machine: Machine (what the checks read; tests fake it), preflight()
- CA bundles: the one bundle every child trusts (a campus TLS proxy's CA)
- running things: Layout under the prefix, Reporter (`==>` headings), Log, Runner
- the progress page: its program, and the transient systemd unit serving it
- the steps: python3-venv, the hub's venv, uv, tljh-lite; the hand-over to the
  installer; Plan and install()
- main: run() (preflight, the plan, install) and main(), the one place that
  turns errors into a line and an exit code

Why one hand-written file, not one assembled from modules: a professor pipes
it from a URL, so what is served must be one file, and what a reader (or a
security review) sees at that URL should be the source that runs, not a build
product. Assembling it from the package's standard-library modules (redact,
installer/cabundle, apt's constants) would remove a few copies, but it would
add a build step whose output must be committed and checked on every change,
bind those package modules to bootstrap's rules (standard library only,
parseable by old Pythons, nothing run at import), and move tracebacks' line
numbers away from the code people read. What is copied is a few dozen lines
(constants, redact_urls, ca_bundle_env, apt_get); tests/test_bootstrap_shared.py
(with test_redact.py and test_backup_schedule.py) keeps each equal to the
package, and names both places when one drifts.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import os
import pathlib
import re
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import termios
import threading
import time
import traceback
import urllib.parse

# ---------------------------------------------------------------- shared with the package
# bootstrap runs before the package is installed, so it cannot import these;
# tests/test_bootstrap_shared.py keeps each equal to the twin named here.

DEFAULT_PREFIX = "/opt/tljh"  # tljh_lite/paths.py DEFAULT_PREFIX
DISTRIBUTION = "tljh-lite"  # pyproject.toml [project] name
EXTRA = "hub"  # pyproject.toml [project.optional-dependencies]: what the hub environment needs
MIN_PYTHON = (3, 10)  # pyproject.toml requires-python
MIN_UV = "0.10"  # pyproject.toml's hub extra (uv>=); has `uv pip install --excludes`
HTTP_PORT = 80  # tljh_lite/config/defaults.py http.port
PROXY_UNIT = "configurable-http-proxy"  # tljh_lite/proxy/unit.py PROXY_UNIT
PROGRESS_UNIT = "tljh-progress-page"  # tljh_lite/installer/main.py PROGRESS_PAGE_UNIT, which the installer stops
MIN_PASSWORD_LENGTH = 8  # never below tljh_lite/users/passwords.py FIRSTUSE_MIN_LENGTH
MAX_PASSWORD_BYTES = 72  # bcrypt's limit: tljh_lite/users/passwords.py MAX_PASSWORD_BYTES
FORMULA_STARTS = "=+-@"  # tljh_lite/users/passwords.py FORMULA_STARTS: never a generated password's first character
MAX_NAME_LENGTH = 255  # a hub username's longest: tljh_lite/config/formats.py hub-username
# Whatever the caller's (027 is common): students must be able to read both environments.
UMASK = 0o022  # tljh_lite/installer/main.py UMASK

# apt-get waits this long for dpkg's lock (fresh cloud images run
# unattended-upgrades at first boot). `apt-get update` fails at once while
# another update holds the lists' lock, whatever the option says (apt 2.6,
# 3.0), so a command that failed on a lock is tried again until the same time.
# tljh_lite/apt.py LOCK_TIMEOUT, LOCK_RETRY_EVERY, LOCKED, APT_ENV (and apt_get below).
APT_LOCK_TIMEOUT = 600
APT_LOCK_RETRY_EVERY = 5
APT_LOCKED = "Could not get lock"
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}

# scheme://USERINFO@ in a URL: USERINFO is a credential (user:password, a
# token). It runs up to the last '@' before the host's end, so a password with
# an '@' in it is hidden whole. tljh_lite/redact.py URL_CREDENTIALS (kept equal
# by tests/test_redact.py, which runs both redact_urls on the same cases).
URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s'\"<>]*)@")

# tljh_lite/installer/cabundle.py (kept equal, with ca_bundle_env below, by tests/test_backup_schedule.py).
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CA_SOURCE_VARS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT")
# Every tool a child may run reads one of these (uv and Python's ssl:
# SSL_CERT_FILE; requests: REQUESTS_CA_BUNDLE; pip: PIP_CERT; node and npm).
CA_EXPORT_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS", "npm_config_cafile")

# The web proxy: tljh_lite/downloads/proxy.py PROXY_VARIABLES, LOOPBACK (and the functions of
# "the web proxy and the mirror" below). The settings the last install saved, read on a re-run
# (Layout.downloads_env): tljh_lite/downloads/settings.py INDEX_VARIABLES.
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy")
LOOPBACK = ("localhost", "127.0.0.1", "::1")
INDEX_VARIABLES = ("PIP_INDEX_URL", "UV_DEFAULT_INDEX")

# Bundles (--bundle FILE): tljh_lite/bundle/manifest.py FORMAT, MANIFEST, MEMBER_NAME, WHEELS,
# DEBS, USER_REQUIREMENTS; bootstrap's own package, tljh_lite/bundle/wanted.py ALSO_APT_PACKAGES.
BUNDLE_FORMAT = 1
BUNDLE_MANIFEST = "manifest.json"
BUNDLE_MEMBER_NAME = re.compile(r"^(?:(?:wheels|debs|pins)/)?[A-Za-z0-9][A-Za-z0-9._+~=%-]*$")
BUNDLE_WHEELS = "wheels"
BUNDLE_DEBS = "debs"
BUNDLE_USER_REQUIREMENTS = "user-requirements.txt"
VENV_PACKAGE = "python3-venv"


# ---------------------------------------------------------------- bootstrap's own constants

DEFAULT_SOURCE = DISTRIBUTION  # --source without $TLJH_LITE_SOURCE: the newest release
SUPPORTED_RELEASES = {"debian": (12,), "ubuntu": (22, 4)}  # ID -> oldest VERSION_ID
SUPPORTED_TEXT = "Debian 12 or newer, or Ubuntu 22.04 or newer"
MIN_MEMORY_MIB = 700
MIN_DISK_BYTES = 2 * 1024**3
PASSWORD_ENV_VAR = "TLJH_ADMIN_PASSWORD"
PASSWORD_TRIES = 3  # at the terminal prompt
TERMINAL = "/dev/tty"
FAILED_OUTPUT_LINES = 20
OUTPUT_DRAIN_SECONDS = 10  # after a command exits, for a daemon it started that still holds its output

# Never installed, in the hub's environment or the students' (uv --excludes).
# rfc3987-syntax comes in as a dependency of a dependency (jupyter_events ->
# jsonschema[format-nongpl]), and jsonschema imports it at start-up, where it
# builds an Earley parser for RFC 3987 "iri" strings that nothing here checks:
# 0.7 s of every hub and student server start, and 16 MiB of the hub's memory
# (python -X importtime; /proc/PID/smaps_rollup). jsonschema skips the format
# without it. The installer reads the same file for every uv install it runs.
UV_EXCLUDES = ["rfc3987-syntax"]

# Seconds each command may take before we give up and say so.
BUNDLE_UNPACK_DIR = "/var/tmp"  # not /tmp, which is memory on Debian 13 (a bundle is a few hundred MB)

TIMEOUTS = {"probe": 60, "apt-update": 600, "apt-install": 900, "venv": 300, "pip": 600, "uv": 1200}


# ---------------------------------------------------------------- errors


class BootstrapError(Exception):
    """An expected failure, reported as one line: what is wrong; what to do."""

    def __init__(self, message: str, hint: str | None = None, output: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.output = output or []  # the last lines a failed command printed
        self.notes: list[str] = []  # shown after the error line (where the admins' passwords stand)

    def one_line(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message

    __str__ = one_line


class PreflightFailed(Exception):
    """One or more preflight checks failed; nothing was changed."""

    def __init__(self, problems: list[BootstrapError]):
        super().__init__(f"{len(problems)} preflight check(s) failed")
        self.problems = problems


# ---------------------------------------------------------------- arguments


GENERATED = "kept, or generated if new"  # --admin NAME: a re-run keeps the password the admin has
GIVEN = "given"  # --admin NAME:PASSWORD, which `ps` shows


class Admin:
    """An admin account to create: --admin NAME[:PASSWORD]; `source` says where its password came from."""

    def __init__(self, name: str, password: str | None, source: str):
        self.name = name
        self.password = password
        self.source = source

    @property
    def generated(self) -> bool:
        return self.source == GENERATED

    def as_json(self) -> dict:
        """The record tljh_lite/installer/admins.py parse_admins reads (installer_stdin)."""
        return {"name": self.name, "password": self.password, "generated": self.generated}

    def __repr__(self) -> str:  # never show the password, not even in a traceback
        return f"Admin({self.name!r}, password {self.source})"


def generate_password() -> str:
    """16 characters, 96 bits; never starting with what a spreadsheet or a command line misreads."""
    while True:
        password = secrets.token_urlsafe(12)
        if password[0] not in FORMULA_STARTS:
            return password


def bad_name_reason(name: str) -> str | None:
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    for char in name:
        if char.isspace():
            return "contains a space"
        if char in ",/:":
            return f"contains '{char}'"
        if ord(char) < 32 or ord(char) == 127:
            return "contains a control character"
    return None


def password_problem(password: str) -> str | None:
    """What is wrong with a password FirstUse would store, or None (tljh_lite/users/passwords.py too_long)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"is shorter than {MIN_PASSWORD_LENGTH} characters"
    if len(password.encode("utf-8", "surrogateescape")) > MAX_PASSWORD_BYTES:
        return f"is longer than {MAX_PASSWORD_BYTES} bytes"
    return None


def parse_admin(text: str) -> Admin:
    """NAME or NAME:PASSWORD, split on the first ':' (a password may contain ':').

    The error never repeats the password: argparse would print it, and the
    terminal (or a screen share) would show it.
    """
    name, colon, password = text.partition(":")
    reason = bad_name_reason(name)
    if reason:
        raise argparse.ArgumentTypeError(
            f"admin name {name!r} {reason}; give a name like prof (letters, digits, '-', '_', '.')"
        )
    if not colon:
        return Admin(name, generate_password(), GENERATED)
    problem = password_problem(password)
    if problem:
        raise argparse.ArgumentTypeError(
            f"the password for admin {name} {problem}; give another one, or give just --admin {name} to have "
            "one generated"
        )
    return Admin(name, password, GIVEN)


def unique(items: list[str]) -> list[str]:
    """items without repeats, in the order first seen."""
    return list(dict.fromkeys(items))


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"error: {message}; see {self.prog} --help\n")


def default_source(environ) -> str:
    return environ.get("TLJH_LITE_SOURCE") or DEFAULT_SOURCE


def add_bootstrap_options(parser: argparse.ArgumentParser, environ) -> None:
    """The options bootstrap acts on itself; none of them reaches the installer."""
    source = default_source(environ)
    parser.add_argument(
        "--admin", metavar="NAME[:PASSWORD]", type=parse_admin, action="append", default=[],
        help="an admin account (repeatable). NAME alone: a strong password is generated and shown once at the end, "
        "and a re-run keeps the one the admin has. NAME:PASSWORD (as in TLJH) shows the password to every user "
        "of this machine in the process list while bootstrap runs: prefer the two options below",
    )
    passwords = parser.add_mutually_exclusive_group()
    passwords.add_argument(
        "--admin-password-prompt", action="store_true",
        help="ask on the terminal for the password of each --admin NAME given without one",
    )
    passwords.add_argument(
        "--admin-password-file", metavar="FILE",
        help="the password of the one --admin NAME given without one: the first line of FILE, which must be "
        f"root's and private (chmod 600); ${PASSWORD_ENV_VAR} does the same from the environment",
    )
    parser.add_argument(
        "--show-progress-page", action="store_true",
        help="serve a page on port 80 that shows the install's progress until the hub takes over",
    )
    parser.add_argument(
        "--source", metavar="SPEC",
        help="what to install: a checkout directory, a wheel, a URL or a requirement like tljh-lite==0.2 "
        f"(default: $TLJH_LITE_SOURCE, else {DEFAULT_SOURCE}; now: {source})",
    )
    parser.add_argument(
        "--bundle", metavar="FILE",
        help="install or upgrade from a bundle made by `tljh-lite bundle create` on a connected machine, with no "
        "network: everything comes from FILE (docs/offline.md)",
    )
    parser.add_argument(
        "--preflight-only", "--dry-run", dest="preflight_only", action="store_true",
        help="only check this machine and print the plan; change nothing",
    )


INSTALLER = "tljh_lite.installer"
INSTALLER_OPTIONS_TITLE = f"passed on, as typed, to python -m {INSTALLER}"


def add_installer_options(group) -> None:
    """The installer's own options (its parse_args), which bootstrap passes on as typed.

    They are declared here too, because the installer is not installed yet when
    a professor asks for --help or makes a typo: so --help lists every option, a
    mistake in one is refused in one line before anything changes, and the plan
    names what will be installed. tests/test_bootstrap_shared.py keeps these
    equal to tljh_lite/installer/main.py's parse_args.
    """
    group.add_argument(
        "--plugin", metavar="SPEC", nargs="+", action="extend", default=[],
        help="a plugin to install, as a pip requirement (repeatable; several may follow one --plugin)",
    )
    group.add_argument(
        "--user-requirements-txt-url", metavar="URL",
        help="a requirements.txt to install into the students' environment",
    )
    group.add_argument(
        "--index-url", metavar="URL",
        help="a PyPI mirror (devpi, pypiserver) to get every Python package from, now and later: config.yaml's "
        "pip.index_url (no password in it: students read it)",
    )


def build_parser(environ) -> ArgumentParser:
    """Every option a professor can give, for --help and to check the whole command line."""
    parser = ArgumentParser(
        prog="bootstrap.py",
        description="Install tljh-lite, a JupyterHub for a class, on this Debian or Ubuntu machine.",
        epilog="Usual use: curl -L URL/installer/bootstrap.py | sudo python3 - --admin prof "
        "(to upgrade, run the same command again: the admin keeps their password)",
    )
    add_bootstrap_options(parser, environ)
    add_installer_options(parser.add_argument_group(INSTALLER_OPTIONS_TITLE))
    return parser


def installer_arguments(argv: list[str], environ) -> list[str]:
    """What argv holds besides bootstrap's own options, as typed: the installer's options.

    argv has passed build_parser() already, so whatever bootstrap's own options
    leave is made of the installer's options (as TLJH's bootstrap passes what it
    does not know on to tljh.installer).
    """
    own = ArgumentParser(prog="bootstrap.py", add_help=False)
    add_bootstrap_options(own, environ)
    return own.parse_known_args(argv)[1]


def parse_args(argv: list[str] | None, environ) -> argparse.Namespace:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(environ)
    args = parser.parse_args(argv)
    if args.bundle and args.source:
        parser.error("argument --bundle: a bundle holds the tljh-lite it installs; give --bundle or --source, not both")
    args.source = args.source or default_source(environ)
    args.plugin = unique(args.plugin)
    names = [admin.name for admin in args.admin]
    repeated = [name for name in unique(names) if names.count(name) > 1]
    if repeated:
        parser.error(f"argument --admin: {repeated[0]} is given more than once; give each admin once")
    args.installer_args = installer_arguments(argv, environ)
    return args


# ---------------------------------------------------------------- admin passwords that no process list shows


def read_password_file(path: str, owner_uid: int = 0) -> str:
    """The first line of a file only root may read or change (--admin-password-file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise BootstrapError(
            f"cannot read --admin-password-file {path}: {e.strerror}",
            "give a root-only file (chmod 600) whose first line is the password",
        )
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BootstrapError(f"--admin-password-file {path} is not a file", "give a file whose first line is the password")
        if info.st_uid != owner_uid:
            raise BootstrapError(
                f"--admin-password-file {path} belongs to uid {info.st_uid}, so someone other than root may change it",
                f"make it root's: chown root {shlex.quote(path)}",
            )
        if info.st_mode & 0o077:
            raise BootstrapError(
                f"--admin-password-file {path} can be read or changed by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o})",
                f"make it private: chmod 600 {shlex.quote(path)}",
            )
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8").split("\n", 1)[0].rstrip("\r")
    except UnicodeDecodeError:
        raise BootstrapError(f"--admin-password-file {path} is not UTF-8 text", "write the password as plain text")


ASK_ELSEWHERE = (
    f"give the password in a root-only file with --admin-password-file FILE, or in ${PASSWORD_ENV_VAR}"
)


def read_secret(fd: int, prompt: str) -> str:
    """One line typed on the terminal fd, not echoed."""
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        raise BootstrapError("--admin-password-prompt: /dev/tty is not a terminal", ASK_ELSEWHERE)
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)  # also drops anything typed before the prompt
    data = b""
    try:
        os.write(fd, prompt.encode("utf-8"))
        while not data.endswith(b"\n"):
            chunk = os.read(fd, 1024)
            if not chunk:
                raise BootstrapError("the terminal closed before a password was typed", "run bootstrap again")
            data += chunk
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        os.write(fd, b"\n")
    try:
        return data[:-1].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise BootstrapError("the password typed is not UTF-8 text", "check the terminal's character set")


def ask_password(name: str, terminal: str = TERMINAL) -> str:
    """Ask on the terminal (not stdin, which is the script when piped into python3 -), twice."""
    try:
        fd = os.open(terminal, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        raise BootstrapError("--admin-password-prompt needs a terminal to ask on, and this run has none", ASK_ELSEWHERE)
    try:
        for _ in range(PASSWORD_TRIES):
            password = read_secret(fd, f"Password for admin {name}: ")
            problem = password_problem(password)
            if problem:
                os.write(fd, f"That password {problem}; try again.\n".encode("utf-8"))
            elif read_secret(fd, f"Password for admin {name}, again: ") == password:
                return password
            else:
                os.write(fd, b"The two passwords differ; try again.\n")
    finally:
        os.close(fd)
    raise BootstrapError(
        f"no password for admin {name} after {PASSWORD_TRIES} tries",
        f"run bootstrap again, or give just --admin {name} to have one generated",
    )


def resolve_passwords(args: argparse.Namespace, environ, warn, ask=ask_password, read_file=read_password_file) -> list[Admin]:
    """The admins, with passwords from the terminal, a file or the environment for
    those given without one (--admin NAME). Errors say what to do in one line."""
    waiting = [admin for admin in args.admin if admin.generated]
    from_environment = environ.get(PASSWORD_ENV_VAR)
    if args.admin_password_prompt:
        where = "--admin-password-prompt"
    elif args.admin_password_file:
        where = f"--admin-password-file {args.admin_password_file}"
    elif from_environment:
        where = f"${PASSWORD_ENV_VAR}"
    else:
        return list(args.admin)
    if not waiting:
        if not (args.admin_password_prompt or args.admin_password_file):
            warn(f"{PASSWORD_ENV_VAR} is set, but no --admin NAME is given without a password to take it; ignoring it")
            return list(args.admin)
        raise BootstrapError(f"{where} gives a password, but no admin is given without one", "add --admin NAME (no :PASSWORD)")
    if args.admin_password_prompt:
        given = {admin.name: (ask(admin.name), "asked on the terminal") for admin in waiting}
    else:
        if len(waiting) > 1:
            raise BootstrapError(
                f"{where} holds one password, but {len(waiting)} admins are given without one "
                f"({', '.join(admin.name for admin in waiting)})",
                "give it for one admin per run, or use --admin-password-prompt to be asked for each",
            )
        if args.admin_password_file:
            password, source = read_file(args.admin_password_file), f"from {args.admin_password_file}"
        else:
            password, source = from_environment, f"from ${PASSWORD_ENV_VAR}"
        problem = password_problem(password)
        if problem:
            raise BootstrapError(f"the password in {where} {problem}", "write another one there, or leave it out to have one generated")
        given = {waiting[0].name: (password, source)}
    return [Admin(admin.name, *given[admin.name]) if admin.name in given else admin for admin in args.admin]


def visible_password_warning(admins: list[Admin]) -> str | None:
    names = [admin.name for admin in admins if admin.source == GIVEN]
    if not names:
        return None
    return (
        f"the password given with --admin {names[0]}:... shows in the process list (ps) to every user of this "
        "machine while bootstrap runs; next time use --admin-password-prompt or --admin-password-file FILE, "
        "and to upgrade run bootstrap without a password"
    )


def without_secrets(environ) -> dict:
    """The environment for every command bootstrap runs: the password stays here."""
    return {key: value for key, value in environ.items() if key != PASSWORD_ENV_VAR}


# ---------------------------------------------------------------- credentials in URLs


def redact_urls(text: str) -> str:
    """text with the credentials of every URL in it replaced by ***: https://***@host/x (tljh_lite/redact.py)."""

    def hide(match):
        scheme, userinfo = match.group(1), match.group(2)
        # ssh authenticates with keys: git+ssh://git@host/repo names a user, not a secret.
        if scheme.lower().endswith("ssh://") and ":" not in userinfo:
            return match.group(0)
        return f"{scheme}***@"

    return URL_CREDENTIALS.sub(hide, text)


# ---------------------------------------------------------------- the web proxy and the mirror


def proxy_given(environ) -> dict | None:
    """The proxy settings environ names ({lowercase name: value}), or None if it names none at all
    (tljh_lite/downloads/proxy.py given)."""
    found = {}
    for name in PROXY_VARIABLES:
        for spelling in (name, name.upper()):
            if spelling in environ:
                found[name] = environ[spelling].strip()
                break
    return found or None


def proxy_url(name: str, value: str) -> str:
    """value with a scheme (http:// if none), or BootstrapError (tljh_lite/downloads/proxy.py proxy_url)."""
    url = value if "://" in value else f"http://{value}"
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
        raise BootstrapError(
            f"{name}={redact_urls(url)} is not a web proxy's URL",
            "give one like http://proxy.example.edu:3128 (with user:password@ before the host if it asks for one)",
        )
    return url


def checked_proxy(settings: dict) -> dict:
    """The settings made whole: empty ones dropped, a scheme, the loopback addresses in no_proxy
    (tljh_lite/downloads/proxy.py checked)."""
    out = {}
    for name in ("http_proxy", "https_proxy"):
        if settings.get(name):
            out[name] = proxy_url(name, settings[name])
    if out:
        names = [n.strip() for n in settings.get("no_proxy", "").split(",") if n.strip()]
        out["no_proxy"] = ",".join(names + [n for n in LOOPBACK if n not in names])
    return out


def read_env_file(text: str) -> dict:
    """KEY="value" lines of a systemd EnvironmentFile (tljh_lite/downloads/settings.py parse_env_file)."""
    env = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        env[key.strip()] = value
    return env


def check_index_url(url: str) -> str:
    """--index-url: http(s), a host, no password (tljh_lite/config/formats.py index-url-or-empty)."""
    match = re.match(r"^https?://([^/?#]*)", url)
    if not match or not match.group(1) or "@" in match.group(1) or re.search(r"\s", url):
        raise BootstrapError(
            f"--index-url {redact_urls(url)} is not a package index's URL without a password",
            "give one like https://devpi.example.edu/root/pypi/+simple/ (students read it, so no password)",
        )
    return url


FROM_ENVIRONMENT = "from the environment"
SAVED = "saved by the last install"


def trusted_host(index_url: str) -> str | None:
    """A plain-http mirror is one pip ignores unless it is a trusted host (tljh_lite/downloads/pipconf.py
    trusted_host)."""
    parts = urllib.parse.urlsplit(index_url)
    return parts.netloc if parts.scheme == "http" else None


class Downloads:
    """Where this run downloads from: the proxy (from the environment, else saved by the last install)
    and the mirror (--index-url, else the saved one). Children get env()."""

    def __init__(self, proxy: dict, proxy_from: str, index_url: str, index_from: str):
        self.proxy, self.proxy_from = proxy, proxy_from
        self.index_url, self.index_from = index_url, index_from

    def env(self) -> dict:
        # A proxy given empty (no proxy) stays in the professor's environment, which children get too:
        # the installer sees it named, and forgets the saved one.
        env = {spelling: value for name, value in self.proxy.items() for spelling in (name, name.upper())}
        if self.index_url:
            env.update({name: self.index_url for name in INDEX_VARIABLES})
            host = trusted_host(self.index_url)
            if host:
                env["PIP_TRUSTED_HOST"] = host
        return env

    def describe(self) -> list[str]:
        lines = []
        if self.proxy.get("https_proxy") or self.proxy.get("http_proxy"):
            shown = self.proxy.get("https_proxy") or self.proxy["http_proxy"]
            lines.append(f"    web proxy: {redact_urls(shown)} ({self.proxy_from})")
        if self.index_url:
            lines.append(f"    package index: {self.index_url} ({self.index_from})")
        return lines


def downloads_for(environ, saved_text: str | None, index_url: str | None) -> Downloads:
    saved = read_env_file(saved_text or "")
    given = proxy_given(environ)
    if given is not None:
        proxy, proxy_from = checked_proxy(given), FROM_ENVIRONMENT
    else:
        proxy, proxy_from = checked_proxy(proxy_given(saved) or {}), SAVED
    if index_url:
        return Downloads(proxy, proxy_from, check_index_url(index_url), "--index-url")
    return Downloads(proxy, proxy_from, saved.get(INDEX_VARIABLES[0], ""), SAVED)


# ---------------------------------------------------------------- bundles


def version_key(text: str) -> tuple:
    """A version to compare (PEP 440's common forms: 1.2, 1.2.3, 1.2rc1, 1.2.post1, 1.2.dev3)."""
    match = re.match(r"^(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?", text.strip())
    if not match:
        return ((0,), 0, 0, 0)
    release = tuple(int(part) for part in match.group(1).split("."))
    release += (0,) * (4 - len(release))
    if match.group(5) is not None:
        phase = (0, int(match.group(5)))  # .dev: before everything of that release
    elif match.group(2):
        phase = (1 + ("a", "b", "rc").index(match.group(2)), int(match.group(3)))
    else:
        phase = (4, 0)
    return (release, phase, int(match.group(4) or 0))


class Bundle:
    """A bundle file (--bundle FILE): its manifest, read first; the rest is checked as it is unpacked."""

    def __init__(self, path: str, manifest: dict):
        self.path = path
        self.manifest = manifest

    @classmethod
    def open(cls, path: str) -> "Bundle":
        not_one = BootstrapError(
            f"--bundle {path} is not a tljh-lite bundle (it does not start with {BUNDLE_MANIFEST})",
            "make one on a connected machine with: tljh-lite bundle create --release RELEASE (docs/offline.md)",
        )
        try:
            with tarfile.open(path, mode="r|") as tar:
                first = tar.next()
                if first is None or first.name != BUNDLE_MANIFEST or not first.isreg():
                    raise not_one
                manifest = json.loads(tar.extractfile(first).read().decode("utf-8"))
        except OSError as e:
            raise BootstrapError(f"cannot read --bundle {path}: {e.strerror or e}", "give the bundle's path")
        except (tarfile.TarError, ValueError, UnicodeDecodeError):
            raise not_one
        if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise BootstrapError(
                f"--bundle {path} is a bundle of format {found}, and this bootstrap reads format {BUNDLE_FORMAT}",
                f"run the bootstrap inside it: tar -xf {shlex.quote(path)} bootstrap.py && sudo python3 bootstrap.py "
                f"--bundle {shlex.quote(path)} ...",
            )
        texts = ("tljh_lite", "jupyterhub", "release", "distro", "architecture", "python")
        files = manifest.get("files")
        if not (all(isinstance(manifest.get(key), str) for key in texts) and isinstance(files, dict) and all(
                isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and isinstance(entry.get("size"), int)
                for entry in files.values())):
            raise not_one
        return cls(path, manifest)

    @property
    def requirement(self) -> str:
        return f"{DISTRIBUTION}[{EXTRA}]=={self.manifest['tljh_lite']}"

    def describe(self) -> str:
        m = self.manifest
        return (f"the bundle {self.path}: tljh-lite {m['tljh_lite']}, JupyterHub {m['jupyterhub']}, for "
                f"{m['distro']} ({m['release']}) on {m['architecture']}, made {m.get('created', '?')}")

    def unpack(self, dest: str | None) -> str:
        """Check every member against the manifest (into dest, if given); the whole file's sha256.

        Only regular files the manifest lists, with names of the bundle's shape,
        each once; nothing outside dest is ever written (no links, no paths up).
        """
        files = self.manifest["files"]
        damaged = "; copy it again, and compare its sha256 with the one `bundle create` printed"
        seen = set()
        whole = hashlib.sha256()
        try:
            with open(self.path, "rb") as raw:
                reader = HashingReader(raw, whole)
                with tarfile.open(fileobj=reader, mode="r|") as tar:
                    for member in tar:
                        name = member.name
                        if name == BUNDLE_MANIFEST and not seen:
                            seen.add(name)
                            continue
                        if name not in files or name in seen or not member.isreg() or not BUNDLE_MEMBER_NAME.match(name):
                            raise BootstrapError(f"--bundle {self.path} is damaged: it holds {name!r}, which its "
                                                 f"manifest does not list{damaged}")
                        digest, size = self._copy(tar.extractfile(member), dest, name)
                        if digest != files[name]["sha256"] or size != files[name]["size"]:
                            raise BootstrapError(f"--bundle {self.path} is damaged: {name} does not match its "
                                                 f"sha256 in the manifest{damaged}")
                        seen.add(name)
                while reader.read(1 << 20):
                    pass
        except (tarfile.TarError, EOFError) as e:
            raise BootstrapError(f"--bundle {self.path} is damaged ({e}){damaged}")
        missing = sorted(set(files) - seen)
        if missing:
            raise BootstrapError(f"--bundle {self.path} is damaged: {missing[0]} is missing{damaged}")
        return whole.hexdigest()

    @staticmethod
    def _copy(source, dest: str | None, name: str) -> tuple[str, int]:
        digest, size, out = hashlib.sha256(), 0, None
        if dest is not None:
            folder = os.path.dirname(name)
            if folder:
                os.makedirs(os.path.join(dest, folder), mode=0o755, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            out = os.fdopen(os.open(os.path.join(dest, name), flags, 0o644), "wb")
        try:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
                if out:
                    out.write(block)
        finally:
            if out:
                out.close()
        return digest.hexdigest(), size


class HashingReader:
    """A file to read from that hashes every byte read (the bundle's own sha256)."""

    def __init__(self, raw, digest):
        self.raw, self.digest = raw, digest

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def check_bundle(manifest: dict, distro: str, codename: str, architecture: str | None, python: tuple,
                 installed: dict) -> None:
    """The bundle is for this machine, and not older than what is installed; one BootstrapError each."""
    made_for = f"{manifest['distro']} ({manifest['release']})"
    if manifest["distro"] != distro:
        here = f"{distro} ({codename})" if codename else distro
        raise BootstrapError(
            f"the bundle is for {made_for}, and this machine is {here}",
            f"make one for this machine: tljh-lite bundle create --release {codename or 'RELEASE'}",
        )
    if architecture != manifest["architecture"]:
        raise BootstrapError(
            f"the bundle is for {manifest['architecture']} machines, and this one is {architecture or 'unknown'}",
            f"make one for this machine: tljh-lite bundle create --release {manifest['release']} "
            f"--arch {architecture or '$(dpkg --print-architecture)'}",
        )
    running = f"{python[0]}.{python[1]}"
    if running != manifest["python"]:
        raise BootstrapError(
            f"the bundle's wheels are for Python {manifest['python']}, and bootstrap runs on Python {running}",
            "run it with the release's own python3: sudo /usr/bin/python3 bootstrap.py --bundle ...",
        )
    for key, name in (("tljh_lite", "tljh-lite"), ("jupyterhub", "JupyterHub")):
        if name in installed and version_key(manifest[key]) < version_key(installed[name]):
            raise BootstrapError(
                f"the bundle holds {name} {manifest[key]}, older than the {installed[name]} installed here",
                f"an install never goes back to an older version: make a bundle of tljh-lite "
                f"{installed.get('tljh-lite', manifest['tljh_lite'])} or newer",
            )


def installed_versions(prefix: str, listdir=os.listdir) -> dict:
    """{"tljh-lite": version, "JupyterHub": version} of the hub environment, from its dist-info folders."""
    found = {}
    lib = os.path.join(prefix, "hub", "lib")
    try:
        pythons = [d for d in listdir(lib) if d.startswith("python")]
    except OSError:
        return found
    for python in pythons:
        try:
            names = listdir(os.path.join(lib, python, "site-packages"))
        except OSError:
            continue
        for entry in names:
            match = re.match(r"^(tljh_lite|jupyterhub)-([^-]+)\.dist-info$", entry)
            if match:
                found[{"tljh_lite": "tljh-lite", "jupyterhub": "JupyterHub"}[match.group(1)]] = match.group(2)
    return found


def bundle_apt_files(directory: str) -> str:
    """apt's settings for installing from the unpacked bundle only, written into it; the APT_CONFIG path.

    Its own sources and lists: the machine's are neither read nor changed.
    [trusted=yes]: every .deb was checked against the bundle's manifest, and
    before that by apt on the machine that made it, against the release's keys.
    """
    apt = os.path.join(directory, "apt")
    for sub in ("lists/partial", "sources.list.d"):
        os.makedirs(os.path.join(apt, sub), mode=0o755, exist_ok=True)
    debs = os.path.join(directory, BUNDLE_DEBS)
    with open(os.path.join(apt, "sources.list"), "w", encoding="utf-8") as f:
        f.write(f"deb [trusted=yes] file:{debs} ./\n")
    settings = {
        "Dir::Etc::SourceList": os.path.join(apt, "sources.list"),
        "Dir::Etc::SourceParts": os.path.join(apt, "sources.list.d"),
        "Dir::State::Lists": os.path.join(apt, "lists"),
        "Acquire::Languages": "none",
        "APT::Sandbox::User": "root",  # the bundle is root's (0700); apt's _apt user cannot read it
    }
    path = os.path.join(apt, "apt.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(f'{key} "{value}";\n' for key, value in settings.items()))
    return path


def bundle_env(directory: str) -> dict:
    """What makes apt, pip and uv take everything from the unpacked bundle, and nothing from the network."""
    wheels = os.path.join(directory, BUNDLE_WHEELS)
    return {
        "APT_CONFIG": bundle_apt_files(directory),
        "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": wheels,
        "UV_OFFLINE": "1", "UV_NO_INDEX": "1", "UV_FIND_LINKS": wheels,
    }


def bundle_installer_args(bundle: Bundle, directory: str, args: argparse.Namespace) -> list[str]:
    """What the installer is told about the bundle: where it is, its plugins, its students' requirements."""
    extra = ["--from-bundle", directory]
    for plugin in bundle.manifest.get("plugins", []):
        extra += ["--plugin", plugin]
    if bundle.manifest.get("user_requirements") and not args.user_requirements_txt_url:
        extra += ["--user-requirements-txt-url", os.path.join(directory, BUNDLE_USER_REQUIREMENTS)]
    return extra


# ---------------------------------------------------------------- --source

URL_PATTERN = re.compile(r"^(https?|file|git\+[a-z]+)://", re.IGNORECASE)
LOCAL_ARCHIVES = (".whl", ".tar.gz", ".zip")
DIRECT_REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
REQUIREMENT_PATTERN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s*\[([^\]]*)\])?(.*)$", re.DOTALL)


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def looks_like_path(spec: str) -> bool:
    # A bare "tljh-lite" is a requirement even if a directory of that name is
    # here, and so is "tljh-lite @ URL" although it contains '/'.
    if DIRECT_REFERENCE_PATTERN.match(spec):
        return False
    return spec in (".", "..") or spec.startswith(("/", "./", "../", "~")) or "/" in spec or spec.endswith(LOCAL_ARCHIVES)


def local_path(spec: str, cwd: str) -> str:
    return os.path.abspath(os.path.join(cwd, os.path.expanduser(spec.strip())))


def path_requirement(spec: str, cwd: str) -> str:
    path = local_path(spec, cwd)
    if os.path.isdir(path):
        if not any(os.path.exists(os.path.join(path, f)) for f in ("pyproject.toml", "setup.py")):
            raise BootstrapError(f"--source {spec} is a directory without pyproject.toml", "give a checkout of tljh-lite")
    elif not os.path.isfile(path):
        raise BootstrapError(f"--source {spec} does not exist", "give a checkout directory, a wheel, a URL or a requirement")
    return f"{DISTRIBUTION}[{EXTRA}] @ {pathlib.Path(path).as_uri()}"


def spec_requirement(spec: str) -> str:
    match = REQUIREMENT_PATTERN.match(spec)
    rest = match.group(3).rstrip() if match else ""
    if not match or normalize_name(match.group(1)) != DISTRIBUTION or (rest and rest.lstrip()[0] not in "=<>!~@;("):
        raise BootstrapError(
            f"--source {spec!r} is not tljh-lite",
            "give a checkout directory, a wheel, a URL, or a requirement such as tljh-lite==0.2",
        )
    extras = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
    extras = unique([EXTRA] + extras)
    return f"{match.group(1)}[{','.join(extras)}]{rest}"


def source_requirement(spec: str, cwd: str) -> str:
    """Turn --source into a requirement for uv that includes the hub extra."""
    spec = spec.strip()
    if URL_PATTERN.match(spec):
        return f"{DISTRIBUTION}[{EXTRA}] @ {spec}"
    if looks_like_path(spec):
        return path_requirement(spec, cwd)
    return spec_requirement(spec)


def is_checkout(spec: str, cwd: str) -> bool:
    """--source names a directory: its code changes while its version stays the same."""
    spec = spec.strip()
    return not URL_PATTERN.match(spec) and looks_like_path(spec) and os.path.isdir(local_path(spec, cwd))


# ---------------------------------------------------------------- preflight checks
# Each takes plain values (file texts, numbers, probes) and raises BootstrapError.


def check_root(euid: int) -> None:
    if euid != 0:
        raise BootstrapError(
            "this installer must run as root",
            "pipe it into 'sudo python3 -' (curl -L URL/installer/bootstrap.py | sudo python3 - --admin NAME)",
        )


def check_python(version: tuple) -> None:
    if tuple(version[:2]) < MIN_PYTHON:
        found = ".".join(str(v) for v in version[:3])
        raise BootstrapError(
            f"Python {found} is too old, tljh-lite needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer",
            f"use {SUPPORTED_TEXT}, whose python3 is new enough",
        )


def parse_os_release(text: str) -> dict:
    """KEY=value lines, values optionally quoted (os-release(5))."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        try:
            value = " ".join(shlex.split(value))
        except ValueError:
            value = value.strip("\"'")
        fields[key] = value
    return fields


def parse_version(text: str) -> tuple | None:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return None


def check_os(os_release: str | None) -> str:
    """Return ID:VERSION_ID (e.g. debian:12) of a supported release: the installer's --distro
    (tljh_lite/apt.py Distro.parse)."""
    if os_release is None:
        raise BootstrapError("cannot read /etc/os-release to tell which Linux this is", f"use {SUPPORTED_TEXT}")
    fields = parse_os_release(os_release)
    distro, version_id = fields.get("ID", ""), fields.get("VERSION_ID", "")
    name = fields.get("PRETTY_NAME") or fields.get("NAME") or "this system"
    oldest = SUPPORTED_RELEASES.get(distro)
    version = parse_version(version_id)
    if oldest is None or version is None or version < oldest:
        found = f"ID={distro or 'missing'}, VERSION_ID={version_id or 'missing'}"
        raise BootstrapError(f"{name} is not supported ({found})", f"use {SUPPORTED_TEXT}")
    return f"{distro}:{version_id}"


def check_systemd(run_systemd_exists: bool, pid1_comm: str | None) -> None:
    comm = (pid1_comm or "").strip()
    if not run_systemd_exists or comm != "systemd":
        found = f"PID 1 is {comm!r}" if comm else "PID 1 is unknown"
        raise BootstrapError(
            f"systemd is not running this machine ({found})",
            "tljh-lite runs the hub and every student's server as systemd services: "
            "use a VM, or a container started with systemd as its init",
        )


def parse_memtotal_kib(meminfo: str) -> int | None:
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", meminfo or "", re.MULTILINE)
    return int(match.group(1)) if match else None


def check_memory(meminfo: str | None) -> None:
    kib = parse_memtotal_kib(meminfo or "")
    if kib is None:
        raise BootstrapError("cannot read MemTotal from /proc/meminfo", "run this on a normal Linux machine or VM")
    mib = kib // 1024
    if mib < MIN_MEMORY_MIB:
        raise BootstrapError(
            f"this machine has {mib} MiB of memory, tljh-lite needs at least {MIN_MEMORY_MIB} MiB",
            "use a machine with 1 GiB or more",
        )


def nearest_existing(path: str, exists=os.path.exists) -> str:
    """path, or its closest parent that exists (where the prefix will be created)."""
    path = os.path.abspath(path)
    while not exists(path) and path != os.path.dirname(path):
        path = os.path.dirname(path)
    return path


def free_bytes(statvfs) -> int:
    return statvfs.f_bavail * statvfs.f_frsize  # what a non-reserved writer may use


def check_disk(free: int, where: str, prefix: str) -> None:
    if free < MIN_DISK_BYTES:
        raise BootstrapError(
            f"only {free / 1024**3:.1f} GiB is free on {where} (which will hold {prefix}), tljh-lite needs "
            f"{MIN_DISK_BYTES // 1024**3} GiB",
            "free some space or grow the disk",
        )


def listening_inodes(proc_net_tcp: str, port: int) -> set[str]:
    """Socket inodes listening on port, from the text of /proc/net/tcp or tcp6."""
    inodes = set()
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and local.rsplit(":", 1)[-1].upper() == f"{port:04X}":
            inodes.add(inode)
    return inodes


def unit_from_cgroup(cgroup: str) -> str | None:
    """The systemd service a process belongs to, from /proc/PID/cgroup."""
    for line in (cgroup or "").splitlines():
        path = line.split(":", 2)[-1]
        services = [part for part in path.split("/") if part.endswith(".service")]
        if services:
            return services[-1]
    return None


def describe_holder(comm: str, pid: int, unit: str | None) -> str:
    return f"{comm} (pid {pid}, {unit})" if unit else f"{comm} (pid {pid})"


def check_port(port: int, can_bind, ours_active, holder) -> None:
    """The port must be free, or held by our own proxy (or a progress page left
    by a failed run). The probes are callables, so systemctl and /proc are only
    asked when the port is taken."""
    if can_bind(port) or ours_active():
        return
    who = holder(port)  # (description, unit) or None
    if who is None:
        raise BootstrapError(
            f"port {port} is in use by another program, and the hub needs it",
            f"find it with: ss -ltnp 'sport = :{port}', stop it, and run this again",
        )
    description, unit = who
    stop = f"stop it with: systemctl disable --now {unit}" if unit else "stop that program"
    raise BootstrapError(f"port {port} is in use by {description}, and the hub needs it", f"{stop}, and run this again")


def check_prefix(prefix: str) -> None:
    if not os.path.isabs(prefix):
        raise BootstrapError(f"TLJH_INSTALL_PREFIX={prefix} is not an absolute path", f"give one like {DEFAULT_PREFIX}")


# ---------------------------------------------------------------- the real machine


class Machine:
    """What preflight reads from the real system; tests pass a subclass with fakes."""

    def euid(self) -> int:
        return os.geteuid()

    def python_version(self) -> tuple:
        return tuple(sys.version_info[:3])

    def read(self, path: str) -> str | None:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def os_release(self) -> str | None:
        text = self.read("/etc/os-release")
        return text if text is not None else self.read("/usr/lib/os-release")

    def free_bytes(self, path: str) -> int:
        return free_bytes(os.statvfs(path))

    def architecture(self) -> str | None:
        """dpkg's name for this machine's architecture (amd64, arm64), or None."""
        try:
            result = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                                    stdin=subprocess.DEVNULL, timeout=TIMEOUTS["probe"])
        except (OSError, subprocess.TimeoutExpired):
            return None
        return result.stdout.strip() or None if result.returncode == 0 else None

    def installed_versions(self, prefix: str) -> dict:
        return installed_versions(prefix)

    def can_bind(self, port: int) -> bool:
        families = [(socket.AF_INET, "0.0.0.0")] + ([(socket.AF_INET6, "::")] if socket.has_ipv6 else [])
        for family, address in families:
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError:
                continue  # no IPv6 on this machine
            try:
                # Without SO_REUSEADDR, connections in TIME_WAIT would look like a listener.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((address, port))
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    return False  # any other error says nothing about who holds the port
            finally:
                sock.close()
        return True

    def port_answers(self, port: int, timeout: float = 3.0) -> bool:
        """Whether something accepts connections on localhost:port within timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.1)

    def unit_active(self, unit: str) -> bool:
        try:
            result = subprocess.run(
                ["systemctl", "is-active", "--quiet", unit],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=TIMEOUTS["probe"],
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return result.returncode == 0

    def port_holder(self, port: int):
        """(description, systemd unit or None) of a process listening on port, or None."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            inodes |= listening_inodes(self.read(table) or "", port)
        targets = {f"socket:[{inode}]" for inode in inodes}
        for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()) if targets else []:
            if self._holds_socket(pid, targets):
                comm = (self.read(f"/proc/{pid}/comm") or "?").strip()
                unit = unit_from_cgroup(self.read(f"/proc/{pid}/cgroup") or "")
                return describe_holder(comm, pid, unit), unit
        return None

    def _holds_socket(self, pid: int, targets: set) -> bool:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            return False
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") in targets:
                    return True
            except OSError:
                continue
        return False


def check_unpack_space(free: int, where: str, needed: int) -> None:
    if free < needed:
        raise BootstrapError(
            f"only {free / 1024**3:.1f} GiB is free in {where}, and the bundle needs {needed / 1024**3:.1f} GiB there "
            "to be unpacked",
            "free some space there, or set TMPDIR to a folder on a bigger disk",
        )


def preflight(machine: Machine, prefix: str, source: str, cwd: str, bundle: Bundle | None = None,
              unpack_into: str = "/var/tmp") -> tuple[str, str]:
    """Check everything before any change; return (ID:VERSION_ID, requirement).

    Root comes first and alone: without it the other probes (binding port 80)
    cannot be trusted. The rest are all run, so one run names every problem.
    A bundle's manifest is checked here too (its sums, as it is unpacked).
    """
    try:
        check_root(machine.euid())
    except BootstrapError as e:
        raise PreflightFailed([e])
    problems = []
    results = {}

    def attempt(key, check, *args):
        try:
            results[key] = check(*args)
        except BootstrapError as e:
            problems.append(e)

    attempt("distro", lambda: check_os(machine.os_release()))
    attempt("systemd", lambda: check_systemd(machine.exists("/run/systemd/system"), machine.read("/proc/1/comm")))
    attempt("python", lambda: check_python(machine.python_version()))
    attempt("memory", lambda: check_memory(machine.read("/proc/meminfo")))
    attempt("prefix", check_prefix, prefix)
    if os.path.isabs(prefix):
        where = nearest_existing(prefix, machine.exists)
        attempt("disk", lambda: check_disk(machine.free_bytes(where), where, prefix))
    def ours():
        return machine.unit_active(PROXY_UNIT) or machine.unit_active(PROGRESS_UNIT)

    attempt("port", check_port, HTTP_PORT, machine.can_bind, ours, machine.port_holder)
    if bundle is None:
        attempt("requirement", source_requirement, source, cwd)
    else:
        results["requirement"] = bundle.requirement
        if "distro" in results:
            codename = parse_os_release(machine.os_release() or "").get("VERSION_CODENAME", "")
            attempt("bundle", check_bundle, bundle.manifest, results["distro"], codename, machine.architecture(),
                    machine.python_version(), machine.installed_versions(prefix))
        where = nearest_existing(unpack_into, machine.exists)
        attempt("unpack", lambda: check_unpack_space(machine.free_bytes(where), where,
                                                     int(sum(f["size"] for f in bundle.manifest["files"].values()) * 1.1)))
    if problems:
        raise PreflightFailed(problems)
    return results["distro"], results["requirement"]


# ---------------------------------------------------------------- CA bundles


def ca_bundle_env(environ, exists=os.path.isfile) -> dict:
    """The variables that make every child trust the same CA bundle (tljh_lite/installer/cabundle.py).

    A campus TLS proxy's CA is in the system bundle (or a file the professor
    names), but pip, uv and npm each ship their own roots unless told.
    """
    candidates = [environ.get(var) for var in CA_SOURCE_VARS] + [SYSTEM_CA_BUNDLE]
    for path in candidates:
        if path and exists(path):
            return {var: path for var in CA_EXPORT_VARS}
    return {}


def ignored_ca_settings(environ, exists=os.path.isfile) -> list[str]:
    return [f"{var}={environ[var]}" for var in CA_SOURCE_VARS if environ.get(var) and not exists(environ[var])]


# ---------------------------------------------------------------- running things


class Layout:
    """Where things go under the prefix (TLJH's layout): tljh_lite/paths.py Paths."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.hub = os.path.join(prefix, "hub")
        self.hub_python = os.path.join(self.hub, "bin", "python3")
        self.uv = os.path.join(self.hub, "bin", "uv")
        self.uv_excludes = os.path.join(self.hub, "uv-excludes.txt")
        self.log = os.path.join(prefix, "installer.log")
        self.downloads_env = os.path.join(prefix, "state", "downloads.env")


class Reporter:
    """The terminal side: `==>` headings with seconds since start (as tljh_lite/installer/progress.py
    prints the installer's), warnings."""

    def __init__(self, started_at: float, log=None, clock=time.time):
        self.started_at = started_at
        self.log = log
        self.clock = clock

    def step(self, text: str) -> None:
        line = redact_urls(f"==> [{self.clock() - self.started_at:5.1f}s] {text}")
        print(line, flush=True)
        if self.log is not None:
            self.log.write_line(line)

    def warn(self, text: str) -> None:
        line = redact_urls(f"warning: {text}")
        print(line, file=sys.stderr, flush=True)
        if self.log is not None:
            self.log.write_line(line)


def open_private_log(path: str) -> int:
    """Open the log for appending, made 0600 before anything is written to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return fd


class Log:
    """The install log. The progress page serves its tail to anyone on port 80,
    so every line written here has the credentials in its URLs hidden."""

    def __init__(self, path: str):
        self.path = path
        self.fd = open_private_log(path)

    def write_line(self, text: str) -> None:
        os.write(self.fd, (redact_urls(text.rstrip("\n")) + "\n").encode("utf-8", "replace"))

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def lines_since(self, offset: int, count: int) -> list[str]:
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace").splitlines()[-count:]

    def close(self) -> None:
        os.close(self.fd)


def show_command(cmd: list[str]) -> str:
    """cmd as one line for the log and for errors (program text passed with -c is elided, credentials in URLs hidden)."""
    return redact_urls(shlex.join("<program text>" if "\n" in arg else arg for arg in cmd))


class Runner:
    """The one seam that runs commands: output to the log (line by line, through
    redact_urls), failures as BootstrapError."""

    def __init__(self, log: Log, env: dict):
        self.log = log
        self.env = env

    def run(self, cmd: list[str], timeout: float, check: bool = True, extra_env: dict | None = None) -> int:
        self.log.write_line(f"$ {show_command(cmd)}")
        offset = self.log.size()
        env = dict(self.env, **(extra_env or {}))
        try:
            process = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
            )
        except OSError as e:
            raise BootstrapError(f"cannot run {cmd[0]}: {e.strerror}", f"the log is {self.log.path}")
        copier = threading.Thread(target=self._copy_output, args=(process.stdout,), daemon=True)
        copier.start()
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            copier.join(OUTPUT_DRAIN_SECONDS)
            raise self._failure(cmd, f"did not finish in {timeout:.0f} s", offset)
        copier.join(OUTPUT_DRAIN_SECONDS)
        failure = self._failure(cmd, f"failed with exit code {code}", offset) if check and code != 0 else None
        self.log.write_line(f"[exit {code}]")
        if failure:
            raise failure
        return code

    def _copy_output(self, pipe) -> None:
        with pipe:
            for line in iter(pipe.readline, b""):
                self.log.write_line(line.decode("utf-8", "replace"))

    def write_file(self, path: str, text: str) -> None:
        """Write a small file whole (a temporary file renamed into place)."""
        self.log.write_line(f"# writing {path}")
        temporary = f"{path}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)

    def _failure(self, cmd: list[str], what: str, offset: int) -> BootstrapError:
        output = self.log.lines_since(offset, FAILED_OUTPUT_LINES)
        return BootstrapError(f"{show_command(cmd)} {what}", f"the full log is {self.log.path}", output)

    def hand_over(self, cmd: list[str], stdin_text: str, env: dict) -> int:
        """Run cmd attached to the terminal, with stdin_text as its standard input."""
        self.log.write_line(f"$ {show_command(cmd)}  (output on the terminal)")
        try:
            return subprocess.run(cmd, input=stdin_text, text=True, env=env).returncode
        except OSError as e:
            raise BootstrapError(f"cannot run {cmd[0]}: {e.strerror}", f"the log is {self.log.path}")


# ---------------------------------------------------------------- the progress page


# Served by `python3 -c PROGRESS_PAGE_CODE LOGFILE` as a transient systemd unit
# until the installer stops it to start the proxy on port 80.
PROGRESS_PAGE_CODE = r'''
import html
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LINES = 40


def tail(path, lines=LINES):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 65536))
            data = f.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-lines:]


def render(path):
    log = html.escape("\n".join(tail(path)))
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"refresh\" content=\"5\">"
        "<title>Installing JupyterHub</title>"
        "<style>body{font-family:sans-serif;margin:2em}"
        "pre{background:#f4f4f4;padding:1em;overflow-x:auto}</style></head><body>"
        "<h1>JupyterHub is being installed</h1>"
        "<p>This page refreshes itself. The hub will answer here when the installation is done.</p>"
        "<pre>" + log + "</pre></body></html>"
    ).encode("utf-8")


class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)

    def answer(self, with_body):
        body = render(sys.argv[1])
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("", int(sys.argv[2]) if len(sys.argv) > 2 else 80), Page).serve_forever()
'''


def progress_page_command(python: str, log_path: str) -> list[str]:
    return ["systemd-run", f"--unit={PROGRESS_UNIT}", "--collect", python, "-c", PROGRESS_PAGE_CODE, log_path]


def start_progress_page(runner: Runner, reporter: Reporter, machine: Machine, python: str, log_path: str) -> bool:
    """Start the page on port 80; on any trouble warn and go on (it is a nicety)."""
    try:
        stop_progress_page(runner)  # one left by a failed run would hold the unit name and the port
        if not machine.can_bind(HTTP_PORT):
            reporter.warn(f"port {HTTP_PORT} is in use (by the hub, on a re-run), so there is no progress page this time")
            return False
        reporter.step(f"Starting a progress page on port {HTTP_PORT}")
        started = runner.run(progress_page_command(python, log_path), TIMEOUTS["probe"], check=False) == 0
    except BootstrapError:
        started = False
    if not (started and machine.port_answers(HTTP_PORT)):
        reporter.warn(f"the progress page did not start (see journalctl -u {PROGRESS_UNIT}); going on without it")
        return False
    return True


def stop_progress_page(runner: Runner) -> None:
    try:
        runner.run(["systemctl", "stop", PROGRESS_UNIT], TIMEOUTS["probe"], check=False)
    except BootstrapError:
        pass  # never hide the error that brought us here


# ---------------------------------------------------------------- the steps


def apt_get(*args: str) -> list[str]:
    """tljh_lite/apt.py apt_get."""
    return ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT}", *args]


def run_apt(runner: Runner, cmd: list[str], timeout: float, sleep=time.sleep, clock=time.monotonic) -> None:
    """Run an apt command; while it fails because another apt holds a lock, try again, up to APT_LOCK_TIMEOUT
    (as tljh_lite/apt.py run_apt)."""
    deadline = clock() + APT_LOCK_TIMEOUT
    while True:
        try:
            runner.run(cmd, timeout, extra_env=APT_ENV)
            return
        except BootstrapError as e:
            if not any(APT_LOCKED in line for line in e.output) or clock() >= deadline:
                raise
        runner.log.write_line(f"# another apt holds a lock; trying again in {APT_LOCK_RETRY_EVERY} s")
        sleep(APT_LOCK_RETRY_EVERY)


def ensure_venv_support(runner: Runner, reporter: Reporter, python: str) -> None:
    if runner.run([python, "-c", "import ensurepip, venv"], TIMEOUTS["probe"], check=False) == 0:
        return
    reporter.step(f"Installing {VENV_PACKAGE}")
    run_apt(runner, apt_get("update"), TIMEOUTS["apt-update"])
    run_apt(runner, apt_get("install", "-y", VENV_PACKAGE), TIMEOUTS["apt-install"])


def ensure_hub_venv(runner: Runner, reporter: Reporter, layout: Layout, python: str, exists) -> None:
    if exists(layout.hub_python):
        reporter.step(f"Keeping the hub environment {layout.hub}")
        return
    reporter.step(f"Creating the hub environment {layout.hub}")
    runner.run([python, "-m", "venv", layout.hub], TIMEOUTS["venv"])


def install_hub_packages(
    runner: Runner, reporter: Reporter, layout: Layout, requirement: str, checkout: bool, exists
) -> None:
    if not exists(layout.uv):
        reporter.step("Installing uv")
        pip = [layout.hub_python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
        runner.run(pip + [f"uv>={MIN_UV}"], TIMEOUTS["pip"])
    reporter.step("Installing tljh-lite and JupyterHub into the hub environment")
    runner.write_file(layout.uv_excludes, uv_excludes_text())
    runner.run(uv_install_command(layout, requirement, checkout), TIMEOUTS["uv"])


def uv_install_command(layout: Layout, requirement: str, checkout: bool) -> list[str]:
    # A re-run must upgrade in place: uv keeps an installed package that still
    # satisfies the requirement, so name tljh-lite explicitly. A checkout keeps
    # its version number while its code changes, so rebuild it every time.
    refresh = "--reinstall-package" if checkout else "--upgrade-package"
    return [
        layout.uv, "pip", "install", "--python", layout.hub_python, "--compile-bytecode",
        "--excludes", layout.uv_excludes, refresh, DISTRIBUTION, requirement,
    ]


def uv_excludes_text() -> str:
    return "# written by tljh-lite's bootstrap: never installed (see UV_EXCLUDES there)\n" + "\n".join(UV_EXCLUDES) + "\n"


def installer_command(layout: Layout, distro: str, args: argparse.Namespace, extra: list[str] = ()) -> list[str]:
    """The installer, with the distribution preflight found, its own options as the professor typed them,
    and what bootstrap adds (the unpacked bundle)."""
    return [layout.hub_python, "-m", INSTALLER, "--distro", distro, *args.installer_args, *extra]


def installer_stdin(admins: list[Admin]) -> str:
    """Admins go on stdin, never on a command line where `ps` shows passwords."""
    return json.dumps({"admins": [admin.as_json() for admin in admins]})


def installer_env(base: dict, layout: Layout, started_at: float, children: dict) -> dict:
    """The installer's environment, read by tljh_lite/installer/main.py main(): the prefix, when the
    professor's command started (its headings count from there) and the log (so both write one)."""
    env = without_secrets(base)
    env.update(children)
    env["TLJH_INSTALL_PREFIX"] = layout.prefix
    env["TLJH_LITE_STARTED_AT"] = repr(started_at)
    env["TLJH_LITE_LOG"] = layout.log
    return env


def make_prefix_and_log(layout: Layout) -> Log:
    try:
        if not os.path.isdir(layout.prefix):
            os.makedirs(layout.prefix, mode=0o755)
            os.chmod(layout.prefix, 0o755)  # makedirs' mode is filtered by the umask
        return Log(layout.log)
    except OSError as e:
        raise BootstrapError(
            f"cannot create {e.filename or layout.log}: {e.strerror}",
            f"make {layout.prefix} a writable directory, or set TLJH_INSTALL_PREFIX to another place",
        )


class Plan:
    """What this run will do, settled by preflight before anything changes."""

    def __init__(
        self, args: argparse.Namespace, layout: Layout, distro: str, requirement: str, checkout: bool,
        admins: list[Admin] | None = None, downloads: Downloads | None = None, bundle: Bundle | None = None,
    ):
        self.args = args
        self.layout = layout
        self.distro = distro
        self.requirement = requirement
        # Reinstalled every time: a checkout's code (or a bundle's, made again) changes while its version stays.
        self.checkout = checkout or bundle is not None
        self.admins = list(args.admin) if admins is None else admins  # with their passwords resolved
        self.downloads = downloads or Downloads({}, "", "", "")
        self.bundle = bundle

    def describe(self) -> list[str]:
        """For the terminal and the log: no passwords, and no credentials in URLs."""
        args = self.args
        admins = ", ".join(f"{a.name} (password {a.source})" for a in self.admins)
        plugins = args.plugin + (self.bundle.manifest.get("plugins", []) if self.bundle else [])
        lines = [
            f"Installing tljh-lite on {self.distro} into {self.layout.prefix}",
            f"    from: {self.bundle.describe() if self.bundle else self.requirement}",
            f"    admins: {admins or 'none'}",
            f"    plugins: {', '.join(plugins) or 'none'}",
        ]
        if args.user_requirements_txt_url:
            lines.append(f"    students' requirements: {args.user_requirements_txt_url}")
        elif self.bundle and self.bundle.manifest.get("user_requirements"):
            lines.append("    students' requirements: the bundle's")
        lines += [] if self.bundle else self.downloads.describe()
        return [redact_urls(line) for line in lines]


def install_steps(plan: Plan, runner: Runner, reporter: Reporter, installer_environ: dict, exists=os.path.exists,
                  unpacked: str | None = None) -> int:
    """Everything after preflight, through one runner; returns the installer's exit code."""
    python = sys.executable  # the Python preflight checked is the one that makes the venv
    ensure_venv_support(runner, reporter, python)
    ensure_hub_venv(runner, reporter, plan.layout, python, exists)
    install_hub_packages(runner, reporter, plan.layout, plan.requirement, plan.checkout, exists)
    reporter.step("Handing over to the tljh-lite installer")
    extra = bundle_installer_args(plan.bundle, unpacked, plan.args) if plan.bundle and unpacked else []
    cmd = installer_command(plan.layout, plan.distro, plan.args, extra)
    code = runner.hand_over(cmd, installer_stdin(plan.admins), installer_environ)
    runner.log.write_line(f"[installer exit {code}]")
    return code


def install(plan: Plan, environ, machine: Machine, started_at: float, unpacked: str | None = None) -> int:
    """The install, logged; `unpacked`: where the bundle was unpacked (its packages, and nothing from the network)."""
    layout = plan.layout
    # What every child downloads with: the CA bundle, the proxy and the mirror, or the bundle alone.
    children = dict(ca_bundle_env(environ), **plan.downloads.env(), **(bundle_env(unpacked) if unpacked else {}))
    log = make_prefix_and_log(layout)
    reporter = Reporter(started_at, log)
    log.write_line(f"=== tljh-lite bootstrap, {time.strftime('%Y-%m-%d %H:%M:%S %z')} ===")
    for line in plan.describe():  # no passwords: only names and whether they were generated
        log.write_line(line)
    for setting in ignored_ca_settings(environ):
        reporter.warn(f"{setting} names a file that does not exist; ignoring it")
    runner = Runner(log, dict(without_secrets(environ), **children))
    page = plan.args.show_progress_page and start_progress_page(runner, reporter, machine, sys.executable, log.path)
    try:
        return install_steps(plan, runner, reporter, installer_env(environ, layout, started_at, children),
                             unpacked=unpacked)
    except BootstrapError as e:
        if plan.admins:  # the installer, which stores them, did not run
            e.notes.append(PASSWORDS_NOT_SET)
        raise
    finally:
        if page:
            stop_progress_page(runner)  # the installer stops it before the proxy; this covers failures
        log.close()


# ---------------------------------------------------------------- main


PASSWORDS_NOT_SET = (
    "Admin passwords were not set or changed: the install stopped before that step. "
    "Run bootstrap again once the problem is fixed."
)


def report_failure(error: BootstrapError) -> None:
    for line in error.output:
        print(redact_urls(f"    {line}"), file=sys.stderr)
    print(redact_urls(f"error: {error.one_line()}"), file=sys.stderr, flush=True)
    for note in error.notes:
        print(redact_urls(note), file=sys.stderr, flush=True)


def run(args, environ, machine: Machine, started_at: float, cwd: str, ask=ask_password) -> int:
    layout = Layout(environ.get("TLJH_INSTALL_PREFIX") or DEFAULT_PREFIX)
    bundle = Bundle.open(local_path(args.bundle, cwd)) if args.bundle else None
    unpack_into = environ.get("TMPDIR") or BUNDLE_UNPACK_DIR
    distro, requirement = preflight(machine, layout.prefix, args.source, cwd, bundle, unpack_into)
    saved = machine.read(layout.downloads_env)
    downloads = downloads_for(environ, saved, args.index_url)
    reporter = Reporter(started_at)
    warning = visible_password_warning(args.admin)
    if warning:
        reporter.warn(warning)
    # A dry run checks a password file and the environment, but asks nothing.
    admins = resolve_passwords(args, environ, reporter.warn, (lambda name: None) if args.preflight_only else ask)
    plan = Plan(args, layout, distro, requirement, bundle is None and is_checkout(args.source, cwd), admins,
                downloads, bundle)
    lines = plan.describe()
    if args.preflight_only:
        if bundle:
            lines.append(f"    bundle checked, sha256 {bundle.unpack(None)}")
        print("\n".join(lines + ["preflight passed"]), flush=True)
        return 0
    reporter.step(lines[0])
    print("\n".join(lines[1:]), flush=True)
    if bundle is None:
        return install(plan, environ, machine, started_at)
    reporter.step(f"Checking the bundle's sums as it is unpacked into {unpack_into}")
    unpacked = tempfile.mkdtemp(prefix="tljh-lite-bundle-", dir=unpack_into)  # 0700, root's
    try:
        print(f"    sha256 {bundle.unpack(unpacked)}, every file as its manifest says", flush=True)
        return install(plan, environ, machine, started_at, unpacked)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


def main(argv: list[str] | None = None, environ=None, machine: Machine | None = None) -> int:
    os.umask(UMASK)  # before anything is created: the result must not depend on the caller's umask
    started_at = time.time()
    environ = os.environ if environ is None else environ
    args = parse_args(argv, environ)
    try:
        return run(args, environ, machine or Machine(), started_at, os.getcwd())
    except PreflightFailed as e:
        for problem in e.problems:
            report_failure(problem)
        return 1
    except BootstrapError as e:
        report_failure(e)
        return 1
    except KeyboardInterrupt:
        print("error: cancelled", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: one line, and the traceback for the report
        traceback.print_exc()
        print(f"error: unexpected {e!r}; please report it with the traceback above", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
