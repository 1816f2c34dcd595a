"""The installer, run by bootstrap inside the hub environment:

    /opt/tljh/hub/bin/python3 -m tljh_lite.installer --distro debian:12 [--plugin SPEC] ...

with the admins as JSON on stdin. Prints `==>` steps, logs everything else
to the install log, and ends with the URL and what to do next. Credentials in
URLs are hidden in the log and on the terminal; a generated password is
stored only right before the summary shows it, on the terminal only.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from ..runner import CommandError, Runner
from ..config.checker import config_checker
from ..config.file import ConfigFile
from ..errors import TljhError
from ..health import HubNotReady
from ..lastgood import LastGood
from ..paths import Paths
from ..proxy.settings import public_url
from ..units.manager import UnitManager
from ..systemd import Systemd
from ..users.accounts import ADMINS_GROUP, SUDOERS_FILE, SUDOERS_TEXT, USERS_GROUP, ensure_group
from ..quotas.apply import apply_disk_limits, limits_asked
from ..plugins import collect, plugin_manager, reconcile
from ..redact import RedactingFormatter, redact_urls
from ..students.shell import ensure_profile_script
from ..students.ssh import ensure_no_ssh
from .alongside import can_run_alongside, run_alongside
from ..hub.unit import HUB_UNIT
from ..users.admission import known_users
from ..users.adoption import adopt_accounts
from .admins import (
    Admin,
    check_admin_passwords,
    ensure_admin_passwords,
    ensure_admins_listed,
    parse_admins,
    password_states,
    replace_untrusted_passwords,
)
from ..apt import Distro, ensure_apt_packages
from ..builtin import APT_PACKAGES
from ..zram.setup import PACKAGE as ZRAM_PACKAGE, ensure_zram, not_possible
from ..https.acme import CERTBOT_PACKAGE
from .downloads import finish_downloads, prepare_downloads
from .plugin_steps import apply_config_hooks, call_each, conda_warnings, install_plugins
from .progress import Progress
from .state import ensure_state
from .sudoers import ensure_sudoers
from .userenv import ensure_user_env
from .uv import pip_install_into

log = logging.getLogger("tljh_lite")
HEALTH_TIMEOUT = 120
PROGRESS_PAGE_UNIT = "tljh-progress-page.service"
COMMAND_LINKS = {Path("/usr/bin/tljh-config"): "tljh-config", Path("/usr/bin/tljh-lite"): "tljh-lite"}
UMASK = 0o022  # whatever the caller's (027 is common): students must read both environments


@dataclass(frozen=True)
class Installed:
    url: str
    config: dict  # the merged config the hub runs with


@dataclass(frozen=True)
class InstallOptions:
    """What an install is asked for, besides the admins: --distro from bootstrap's preflight, and the
    professor's options to bootstrap that are the installer's, passed on as typed (bootstrap's
    add_installer_options lists them for its --help; tests/test_bootstrap_shared.py keeps both equal)."""

    distro: Distro
    plugins: list[str] = field(default_factory=list)
    user_requirements_txt_url: str | None = None
    index_url: str | None = None  # a PyPI mirror: config.yaml's pip.index_url from now on
    bundle: Path | None = None  # the bundle bootstrap unpacked (--from-bundle, bootstrap's to give, like --distro)


def parse_args(argv) -> InstallOptions:
    parser = argparse.ArgumentParser(prog="python -m tljh_lite.installer", description=__doc__)
    parser.add_argument("--distro", type=Distro.parse, required=True, help="ID:VERSION, e.g. debian:12")
    parser.add_argument("--plugin", action="extend", nargs="+", default=[], metavar="SPEC")
    parser.add_argument("--user-requirements-txt-url", metavar="URL")
    parser.add_argument("--index-url", metavar="URL", help="a PyPI mirror for both environments and pip")
    parser.add_argument("--from-bundle", metavar="DIR", type=Path, help="the bundle bootstrap unpacked (offline)")
    args = parser.parse_args(argv)
    plugins = list(dict.fromkeys(args.plugin))  # each once, in the order first given
    return InstallOptions(args.distro, plugins, args.user_requirements_txt_url, args.index_url, args.from_bundle)


def setup_logging(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    handler = logging.FileHandler(path)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)


def install(options: InstallOptions, admins: list[Admin], paths: Paths, progress: Progress, runner: Runner,
            replaced: list[Admin] | None = None) -> Installed:
    """Every step, in order. Plugins are installed and loaded first, so a broken
    one stops the install before anything else changes. The admins' passwords
    are not stored here: main() does that last, right before the summary,
    except a new admin's that tljh-lite did not set, replaced before the hub
    restarts; those are added to `replaced` (for the summary, or the failure)."""
    ensure_state(paths)
    downloads = prepare_downloads(paths, options.index_url, options.bundle is not None,
                                  config_checker(plugin_manager(), paths), os.environ)
    hub_python = str(paths.hub_venv / "bin" / "python3")
    if options.plugins:
        with progress.step(f"Installing plugins: {', '.join(options.plugins)}"):
            install_plugins(runner, paths, options.plugins)
    pm = plugin_manager()
    checker = config_checker(pm, paths)
    for warning in conda_warnings(pm):
        progress.say(warning)

    # From a bundle, certbot too: a machine with no network cannot fetch it the day HTTPS is turned on.
    apt_packages = collect(pm, "tljh_extra_apt_packages") + ([CERTBOT_PACKAGE] if options.bundle else [])
    zram_on = checker.merged(ConfigFile(paths.config_file).load())["zram"]["enabled"] and not not_possible(runner)
    if zram_on:
        apt_packages.append(ZRAM_PACKAGE)
    hub_packages = collect(pm, "tljh_extra_hub_pip_packages")

    def apt() -> None:
        ensure_apt_packages(runner, options.distro, apt_packages)

    def python_packages() -> None:
        if hub_packages:
            pip_install_into(runner, paths, hub_python, hub_packages, hint="a plugin's hub package failed to install")
        ensure_user_env(runner, paths, options.user_requirements_txt_url, collect(pm, "tljh_extra_user_pip_packages"))

    if can_run_alongside(apt_packages, {*APT_PACKAGES, ZRAM_PACKAGE}, options.user_requirements_txt_url):
        with progress.step(f"Installing system packages, and the students' environment in {paths.user_venv} alongside"):
            run_alongside(apt, python_packages)
    else:
        with progress.step("Installing system packages"):
            apt()
        with progress.step(f"Installing plugins' packages and the students' environment in {paths.user_venv}"):
            python_packages()
    finish_downloads(paths, downloads)
    with progress.step("Preparing accounts, admins and config"):
        for group in (USERS_GROUP, ADMINS_GROUP):
            ensure_group(runner, group)
        ensure_sudoers(runner, SUDOERS_FILE, SUDOERS_TEXT)
        ensure_no_ssh(runner)
        ensure_profile_script(paths)
        ensure_admins_listed(paths, admins, checker)
        apply_config_hooks(pm, paths, checker)
        checker = config_checker(pm, paths)  # with the keys plugins now own
        file_config = ConfigFile(paths.config_file).load()
        checker.check(file_config)
        config = checker.merged(file_config)
        for warning in adopt_accounts(paths, runner, _hub_users(config, paths)):
            progress.say(warning)
        (replaced if replaced is not None else []).extend(replace_untrusted_passwords(config, paths, admins))
        for link, command in COMMAND_LINKS.items():
            _link(link, paths.hub_venv / "bin" / command)
    # Also after a restore, whose config may ask for limits on a machine that cannot take them (a warning).
    # Without limits.disk, a quiet step: limits taken away since the last run are cleared where quotas are on.
    with progress.step("Setting the students' disk quotas (limits.disk)") if limits_asked(config) else nullcontext():
        apply_disk_limits(config, runner, known=known_users(paths.hub_db), say=progress.say)
    if pm.hook.tljh_lite_reconcile.get_hookimpls():
        with progress.step("Setting up what plugins' config keys ask for"):
            for plugin in reconcile(pm, config):
                progress.say(f"    tljh_lite_reconcile: {plugin} done")
    with progress.step("Memory compression"):
        progress.say(f"    {ensure_zram(runner, config, options.distro)}")
    with progress.step("Starting the proxy and the hub"):
        Systemd(runner).stop(PROGRESS_PAGE_UNIT)  # it held port 80 during the install
        restarted, version = UnitManager(paths, runner, say=progress.say).apply(config, HEALTH_TIMEOUT)
        LastGood(paths).save()
        log.info("restarted %s; JupyterHub %s answers", restarted or "nothing", version)
        progress.say(f"    JupyterHub {version} is answering" + ("" if restarted else " (nothing needed a restart)"))
    if pm.hook.tljh_post_install.get_hookimpls():
        with progress.step("Running plugins' post-install steps"):
            call_each(pm, "tljh_post_install", progress.say)
    return Installed(public_url(config), config)


def _hub_users(config, paths: Paths) -> set[str]:
    """Everyone the hub knows, and everyone config.yaml names."""
    users = config["users"]
    named = {name.lower() for key in ("allowed", "admin", "banned") for name in users[key]}
    return known_users(paths.hub_db) | named


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    tmp = link.with_name(f".{link.name}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, link)


def summary(
    paths: Paths, admins: list[Admin], passwords_set: list[Admin], url: str, elapsed: float, show_passwords: bool = True
) -> str:
    """The last words of an install; with show_passwords=False, the text for the log."""
    lines = [f"Installation successful ({elapsed:.0f} s).", "", f"Your hub: {url}"]
    for admin in admins + [admin for admin in passwords_set if admin not in admins]:  # new admins named by hand
        if admin in passwords_set and admin.generated:
            if show_passwords:
                lines.append(f"Admin: {admin.name}, password: {admin.password}  (shown only once: write it down)")
            else:
                lines.append(f"Admin: {admin.name}, with a generated password (shown on the terminal only)")
        elif admin in passwords_set:
            lines.append(f"Admin: {admin.name}, with the password you gave")
        else:
            lines.append(f"Admin: {admin.name} (password unchanged)")
    lines += [
        "",
        "Next steps:",
        "  1. Log in as the admin and add students:  sudo tljh-config add-item users.allowed STUDENT",
        "     then: sudo tljh-config reload   (each student sets a password at first login)",
        "     or a whole class from a spreadsheet: sudo tljh-lite users import roster.csv (docs/users.md)",
        "  2. Set memory per student:  sudo tljh-config set limits.memory 1G && sudo tljh-config reload",
        "  3. Add course packages:  sudo /opt/tljh/user/bin/pip install PACKAGE   (or --plugin on a re-run)",
        f"Install log: {paths.installer_log}",
    ]
    return "\n".join(lines)


def failure_lines(error: BaseException, log_path: Path) -> list[str]:
    """What the professor sees when the install stops: one error line, then the evidence."""
    if isinstance(error, KeyboardInterrupt):
        return ["cancelled"]
    if isinstance(error, CommandError):
        return [f"error: {error.one_line()}", error.last_lines(), f"The full log is in {log_path}"]
    if isinstance(error, HubNotReady):
        return [f"error: {error.one_line()}", error.evidence]
    if isinstance(error, TljhError):
        return [f"error: {error.one_line()}", f"The full log is in {log_path}"]
    log.error("unexpected error", exc_info=error)  # a bug: one line here, the traceback in the log
    return [f"error: unexpected {error!r}; the traceback is in {log_path}; please report it"]


def main(argv=None) -> int:
    os.umask(UMASK)  # before anything is created
    options = parse_args(argv)
    paths = Paths.from_environ()
    log_path = Path(os.environ.get("TLJH_LITE_LOG") or paths.installer_log)
    setup_logging(log_path)
    started = float(os.environ.get("TLJH_LITE_STARTED_AT") or 0) or None
    progress = Progress(started)
    admins: list[Admin] = []
    replaced: list[Admin] = []
    try:
        admins = parse_admins(sys.stdin.read() if not sys.stdin.isatty() else "")
        check_admin_passwords(admins)
        runner = Runner()
        installed = install(options, admins, paths, progress, runner, replaced)
        # Last, so that a generated password that is stored is one the summary shows.
        stored = ensure_admin_passwords(installed.config, paths, [a for a in admins if a not in replaced])
        if stored.restart_hub:  # NativeAuthenticator reads a changed password at its next start
            UnitManager(paths, runner, say=progress.say).restart(HUB_UNIT, installed.config, HEALTH_TIMEOUT)
        passwords_set = replaced + stored.admins
    except (Exception, KeyboardInterrupt) as e:
        lines = failure_lines(e, log_path)
        try:
            lines += password_states(paths, admins, replaced)
        except Exception:  # never hide the error that brought us here
            log.exception("could not read the admins' password state")
        for line in lines:
            print(redact_urls(line), file=sys.stderr)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    progress.say("")
    elapsed = progress.elapsed()
    text = summary(paths, admins, passwords_set, installed.url, elapsed)
    progress.say(text, log_text=summary(paths, admins, passwords_set, installed.url, elapsed, show_passwords=False))
    return 0
