"""What installer/bootstrap.py and the package must agree on, kept equal here.

bootstrap.py runs before tljh_lite is installed, with the standard library
only, so it cannot import what the package defines: it keeps its own copy of a
few constants and rules, and of the contract with the installer it hands over
to (its options, the admins on stdin, the environment). Each test here names
both places, so a failure says which two lines drifted apart.

Kept equal elsewhere: the URL-credentials rule (tests/test_redact.py) and the
CA bundle variables (tests/test_backup_schedule.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import logging
import os
import re
import secrets
import tomllib
from pathlib import Path

import pytest

from tljh_lite import apt
from tljh_lite.apt import Distro
from tljh_lite.config.defaults import DEFAULTS
from tljh_lite.config.formats import FORMATS
from tljh_lite.errors import TljhError
from tljh_lite.installer import admins as installer_admins
from tljh_lite.installer import main as installer
from tljh_lite.installer import progress as installer_progress
from tljh_lite.installer.uv import uv as uv_path
from tljh_lite.paths import DEFAULT_PREFIX, PREFIX_ENV_VAR, Paths
from tljh_lite.proxy.unit import PROXY_UNIT
from tljh_lite.users import passwords

from bootstrap_fakes import OS_RELEASES, bootstrap

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def same(bootstrap_place: str, bootstrap_value, package_place: str, package_value) -> None:
    assert bootstrap_value == package_value, (
        f"installer/bootstrap.py {bootstrap_place} is {bootstrap_value!r}, but {package_place} is "
        f"{package_value!r}: make them equal"
    )


# ---------------------------------------------------------------- admins' passwords


def test_a_generated_password_never_starts_with_the_same_characters():
    same("FORMULA_STARTS", bootstrap.FORMULA_STARTS,
         "tljh_lite/users/passwords.py FORMULA_STARTS", passwords.FORMULA_STARTS)


def test_the_longest_password_is_the_same_bcrypt_limit():
    same("MAX_PASSWORD_BYTES", bootstrap.MAX_PASSWORD_BYTES,
         "tljh_lite/users/passwords.py MAX_PASSWORD_BYTES", passwords.MAX_PASSWORD_BYTES)


@pytest.mark.parametrize("password", ["p" * 72, "p" * 73, "é" * 36, "é" * 37, "€" * 24, "€" * 25, "a€" * 18])
def test_a_password_too_long_for_bootstrap_is_too_long_for_the_installer(password):
    same(f"password_problem({password!r}) says too long:", "longer than" in (bootstrap.password_problem(password) or ""),
         "tljh_lite/users/passwords.py too_long()", passwords.too_long(password) is not None)


def test_every_password_bootstrap_accepts_the_installer_stores(tmp_path):
    """bootstrap's minimum (MIN_PASSWORD_LENGTH) may be stricter than FirstUse's, never looser:
    a password bootstrap let through must not fail at the very end of the install."""
    shortest = "x" * bootstrap.MIN_PASSWORD_LENGTH
    assert bootstrap.password_problem(shortest) is None
    problem = passwords.FirstUsePasswords(tmp_path / "passwords.dbm").problem(shortest)
    assert problem is None, (
        f"installer/bootstrap.py MIN_PASSWORD_LENGTH ({bootstrap.MIN_PASSWORD_LENGTH}) accepts a password that "
        f"tljh_lite/users/passwords.py FIRSTUSE_MIN_LENGTH ({passwords.FIRSTUSE_MIN_LENGTH}) refuses: {problem}"
    )


def test_generated_passwords_have_the_same_strength(monkeypatch):
    asked = {}

    def record(where):
        def token_urlsafe(nbytes=None):
            asked[where] = nbytes
            return "x" * 16

        return token_urlsafe

    monkeypatch.setattr(secrets, "token_urlsafe", record("bootstrap"))
    bootstrap.generate_password()
    monkeypatch.setattr(secrets, "token_urlsafe", record("package"))
    passwords.generate_password()
    same("generate_password()'s random bytes", asked["bootstrap"],
         "tljh_lite/users/passwords.py generate_password()'s", asked["package"])


# ---------------------------------------------------------------- the admins, on the installer's stdin


def test_the_admin_record_bootstrap_writes_is_the_one_the_installer_reads():
    given = [
        bootstrap.Admin("prof", "a:given:password", bootstrap.GIVEN),
        bootstrap.Admin("ta", "Gen3rated-Pw-123", bootstrap.GENERATED),
        bootstrap.Admin("tutor", "from-a-file-1", "from /root/pw"),
    ]
    read = installer_admins.parse_admins(bootstrap.installer_stdin(given))
    same("installer_stdin() (Admin.as_json)", [(a.name, a.password, a.generated) for a in given],
         "tljh_lite/installer/admins.py parse_admins()", [(a.name, a.password, a.generated) for a in read])
    fields = [field.name for field in dataclasses.fields(installer_admins.Admin)]
    same("Admin.as_json()'s keys", sorted(given[0].as_json()),
         "tljh_lite/installer/admins.py Admin's fields", sorted(fields))
    assert installer_admins.parse_admins(bootstrap.installer_stdin([])) == []


@pytest.mark.parametrize("name", ["prof", "Prof.Smith", "ta_2", "jean-luc", "émilie", "a@b", "x" * 255])
def test_an_admin_name_bootstrap_accepts_is_a_name_the_config_accepts(name):
    check, _words = FORMATS["hub-username"]
    same(f"bad_name_reason({name[:20]!r}) accepts it:", bootstrap.bad_name_reason(name) is None,
         "tljh_lite/config/formats.py hub-username", check(name))


@pytest.mark.parametrize("name", ["", "pro f", "pro\tf", "a,b", "a/b", "pr\x07of", "pr\x7fof", "a\u00a0b", "a\x1fb",
                                  "x" * 256])
def test_an_admin_name_bootstrap_refuses_the_config_refuses_too(name):
    check, _words = FORMATS["hub-username"]
    same(f"bad_name_reason({name!r}) refuses it:", bootstrap.bad_name_reason(name) is not None,
         "tljh_lite/config/formats.py hub-username", not check(name))


# ---------------------------------------------------------------- the installer's options, passed on as typed


def option_names(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text))


def installer_help(capsys) -> str:
    with pytest.raises(SystemExit):
        installer.parse_args(["--help"])
    return capsys.readouterr().out


def bootstrap_installer_options() -> set[str]:
    parser = argparse.ArgumentParser(add_help=False)
    bootstrap.add_installer_options(parser)
    return option_names(parser.format_help())


def test_bootstraps_help_lists_every_option_of_the_installer_but_distro(capsys):
    # --distro and --from-bundle are bootstrap's to give (from preflight, and the bundle it unpacked).
    same("add_installer_options()", bootstrap_installer_options(),
         "tljh_lite/installer/main.py parse_args()'s options (but --distro, --from-bundle, --help)",
         option_names(installer_help(capsys)) - {"--distro", "--from-bundle", "--help"})
    full_help = bootstrap.build_parser({}).format_help()
    assert bootstrap.INSTALLER_OPTIONS_TITLE in full_help
    assert bootstrap_installer_options() <= option_names(full_help)


def test_no_installer_option_is_the_start_of_one_of_bootstraps():
    """argparse takes a prefix of an option for the option: if an installer option were
    the start of one of bootstrap's own, bootstrap would keep what it must pass on."""
    own = argparse.ArgumentParser(add_help=False)
    bootstrap.add_bootstrap_options(own, {})
    mine = option_names(own.format_help())
    clashes = [(theirs, ours) for theirs in bootstrap_installer_options() for ours in mine if ours.startswith(theirs)]
    assert not clashes, f"installer/bootstrap.py: these installer options start bootstrap's own: {clashes}"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--plugin", "a", "b==1", "--plugin", "c", "a"],
        ["--admin", "prof", "--plugin", "x", "--show-progress-page", "--user-requirements-txt-url", "file:///r.txt"],
        ["--user-requirements-txt-url=https://u:s3cret@h/r.txt", "--dry-run", "--plugin=./my plugin"],
        ["--plug", "a", "--user-req", "https://h/r.txt", "--admin=ta", "--sour", "tljh-lite==0.2"],
        ["--plugin", "-e ./course", "--admin", "prof:pass:word:1", "--plugin", "git+https://h/c.git@v1"],
        ["--source", "./checkout", "--admin-password-file", "/root/pw", "--admin", "prof", "--plugin", "p"],
    ],
)
def test_the_installer_reads_what_bootstrap_passes_on_as_bootstrap_read_it(argv):
    args = bootstrap.parse_args(argv, {})
    options = installer.parse_args(["--distro", "debian:12", *args.installer_args])
    same(f"parse_args({argv}) plugins, requirements", (args.plugin, args.user_requirements_txt_url),
         "tljh_lite/installer/main.py parse_args()", (options.plugins, options.user_requirements_txt_url))
    passed_on = " ".join(args.installer_args)
    assert "--admin" not in passed_on and "pass:word" not in passed_on and "--source" not in passed_on


def test_the_distro_bootstrap_passes_is_the_one_the_installer_would_read():
    for name in ("debian-12", "debian-13", "ubuntu-22.04", "ubuntu-24.04"):
        text = OS_RELEASES[name]
        same(f"check_os() for {name}", Distro.parse(bootstrap.check_os(text)),
             "tljh_lite/apt.py Distro.from_os_release()", Distro.from_os_release(text))


# ---------------------------------------------------------------- the environment the installer runs in


def test_the_installer_reads_the_environment_bootstrap_gives_it(tmp_path, monkeypatch):
    layout = bootstrap.Layout(str(tmp_path / "prefix"))
    environ = bootstrap.installer_env({"PATH": os.environ["PATH"]}, layout, 1700000000.25, {})
    # The log bootstrap names is where the installer would log anyway: name another, to see it read.
    [log_variable] = [key for key, value in environ.items() if value == layout.log]
    log = tmp_path / "elsewhere.log"
    environ[log_variable] = str(log)
    for key in (PREFIX_ENV_VAR, "TLJH_LITE_LOG", "TLJH_LITE_STARTED_AT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    seen = {}

    def install(options, admins, paths, progress, runner, *rest):
        seen.update(prefix=str(paths.prefix), started_at=progress.started_at)
        installer.log.info("logged by the test")
        raise TljhError("stopped by the test", "")

    monkeypatch.setattr(installer, "install", install)
    old_umask = os.umask(0o022)
    handlers = list(logging.getLogger("tljh_lite").handlers)
    try:
        assert installer.main(["--distro", "debian:12"]) == 1
    finally:
        os.umask(old_umask)
        logger = logging.getLogger("tljh_lite")
        for handler in logger.handlers[len(handlers):]:
            handler.close()
            logger.removeHandler(handler)
    same("installer_env() prefix, start time", (layout.prefix, 1700000000.25),
         "tljh_lite/installer/main.py main() (Paths.from_environ, TLJH_LITE_STARTED_AT)",
         (seen["prefix"], seen["started_at"]))
    assert log.exists() and "logged by the test" in log.read_text(), (
        f"installer/bootstrap.py installer_env() names the log in ${log_variable}, which "
        "tljh_lite/installer/main.py main() does not read"
    )


def test_the_layout_under_the_prefix_is_the_packages():
    same("DEFAULT_PREFIX", bootstrap.DEFAULT_PREFIX, "tljh_lite/paths.py DEFAULT_PREFIX", str(DEFAULT_PREFIX))
    layout, paths = bootstrap.Layout("/srv/tljh"), Paths(Path("/srv/tljh"))
    for ours, theirs, value in [
        ("hub", "hub_venv", paths.hub_venv),
        ("log", "installer_log", paths.installer_log),
        ("uv_excludes", "uv_excludes", paths.uv_excludes),
        ("uv", "tljh_lite/installer/uv.py uv()", uv_path(paths)),
        ("hub_python", "hub_venv / 'bin' / 'python3'", paths.hub_venv / "bin" / "python3"),
    ]:
        same(f"Layout.{ours}", getattr(layout, ours), f"tljh_lite/paths.py Paths.{theirs}", str(value))


def test_the_umask_is_the_installers():
    same("UMASK", oct(bootstrap.UMASK), "tljh_lite/installer/main.py UMASK", oct(installer.UMASK))


def test_the_headings_look_the_same_from_bootstrap_and_the_installer(capsys, monkeypatch):
    bootstrap.Reporter(100.0, clock=lambda: 104.25).step("Installing uv")
    from_bootstrap = capsys.readouterr().out
    monkeypatch.setattr(installer_progress.time, "time", lambda: 104.25)
    out = io.StringIO()
    with installer_progress.Progress(100.0, out).step("Installing uv"):
        pass
    same("Reporter.step()", from_bootstrap, "tljh_lite/installer/progress.py Progress.step()", out.getvalue())


# ---------------------------------------------------------------- units and ports


def test_the_progress_page_unit_is_the_one_the_installer_stops():
    same("PROGRESS_UNIT + '.service'", bootstrap.PROGRESS_UNIT + ".service",
         "tljh_lite/installer/main.py PROGRESS_PAGE_UNIT", installer.PROGRESS_PAGE_UNIT)


def test_the_proxy_unit_preflight_allows_on_port_80_is_the_packages():
    same("PROXY_UNIT + '.service'", bootstrap.PROXY_UNIT + ".service", "tljh_lite/proxy/unit.py PROXY_UNIT", PROXY_UNIT)


def test_the_port_preflight_checks_is_the_proxys_default():
    same("HTTP_PORT", bootstrap.HTTP_PORT, "tljh_lite/config/defaults.py DEFAULTS['http']['port']",
         DEFAULTS["http"]["port"])


# ---------------------------------------------------------------- apt


def test_apt_waits_for_its_locks_as_the_package_does():
    for ours, theirs in [("APT_LOCK_TIMEOUT", "LOCK_TIMEOUT"), ("APT_LOCK_RETRY_EVERY", "LOCK_RETRY_EVERY"),
                         ("APT_LOCKED", "LOCKED"), ("APT_ENV", "APT_ENV")]:
        same(ours, getattr(bootstrap, ours), f"tljh_lite/apt.py {theirs}", getattr(apt, theirs))
    for args in [("update",), ("install", "-y", "python3-venv")]:
        same(f"apt_get{args}", bootstrap.apt_get(*args), f"tljh_lite/apt.py apt_get{args}", apt.apt_get(*args))


# ---------------------------------------------------------------- pyproject.toml


def test_what_bootstrap_installs_is_the_project():
    same("DISTRIBUTION", bootstrap.DISTRIBUTION, "pyproject.toml [project] name", PROJECT["name"])
    same("DEFAULT_SOURCE", bootstrap.DEFAULT_SOURCE, "pyproject.toml [project] name", PROJECT["name"])
    assert bootstrap.EXTRA in PROJECT["optional-dependencies"], (
        f"installer/bootstrap.py EXTRA ({bootstrap.EXTRA!r}) is not an extra of pyproject.toml "
        f"[project.optional-dependencies]: {sorted(PROJECT['optional-dependencies'])}"
    )


def test_the_oldest_python_is_the_projects():
    same("MIN_PYTHON", ">={}.{}".format(*bootstrap.MIN_PYTHON), "pyproject.toml requires-python",
         PROJECT["requires-python"])


def test_the_oldest_uv_is_the_hub_extras():
    same("MIN_UV", f"uv>={bootstrap.MIN_UV}", f"pyproject.toml [project.optional-dependencies] {bootstrap.EXTRA}",
         next(r for r in PROJECT["optional-dependencies"][bootstrap.EXTRA] if re.match(r"uv\b", r)))


# ---------------------------------------------------------------- downloads: the web proxy, the mirror


PROXY_CASES = [
    {},
    {"https_proxy": "http://proxy.campus.edu:3128"},
    {"HTTPS_PROXY": "proxy:3128", "HTTP_PROXY": "http://u:p%40ss@proxy:3128/", "NO_PROXY": ".campus.edu, 10.0.0.0/8"},
    {"http_proxy": "https://[fd00::1]:3128", "no_proxy": "localhost"},
    {"https_proxy": "", "http_proxy": ""},
    {"https_proxy": "ftp://proxy:21"},
    {"http_proxy": "http://proxy:port"},
    {"http_proxy": "http://"},
]


@pytest.mark.parametrize("environ", PROXY_CASES)
def test_bootstrap_reads_and_checks_the_proxy_as_the_package_does(environ):
    from tljh_lite.downloads import proxy

    def outcome(given, checked, error):
        found = given(environ)
        try:
            return found, checked(found or {})
        except error as e:
            return found, ("refused", e.message)

    same("proxy_given(), checked_proxy()", outcome(bootstrap.proxy_given, bootstrap.checked_proxy, bootstrap.BootstrapError),
         "tljh_lite/downloads/proxy.py given(), checked()", outcome(proxy.given, proxy.checked, TljhError))


def test_the_proxy_names_and_loopback_are_the_packages():
    from tljh_lite.downloads import proxy, settings

    same("PROXY_VARIABLES", bootstrap.PROXY_VARIABLES, "tljh_lite/downloads/proxy.py PROXY_VARIABLES", proxy.PROXY_VARIABLES)
    same("LOOPBACK", bootstrap.LOOPBACK, "tljh_lite/downloads/proxy.py LOOPBACK", proxy.LOOPBACK)
    same("INDEX_VARIABLES", bootstrap.INDEX_VARIABLES, "tljh_lite/downloads/settings.py INDEX_VARIABLES",
         settings.INDEX_VARIABLES)
    same("Layout.downloads_env", bootstrap.Layout("/srv/tljh").downloads_env, "tljh_lite/paths.py Paths.downloads_env",
         str(Paths(Path("/srv/tljh")).downloads_env))


def test_a_rerun_downloads_as_the_last_install_saved(tmp_path):
    """bootstrap reads the file the installer wrote: the proxy (password and all) and the mirror."""
    from tljh_lite.downloads import proxy
    from tljh_lite.downloads.settings import DownloadSettings, parse_env_file

    saved = DownloadSettings(proxy.checked({"https_proxy": 'http://t:a"b\\c@p:3128', "http_proxy": "p:3128"}),
                             "https://devpi.campus.edu/simple/", offline=True)
    text = saved.text()
    same("read_env_file()", bootstrap.read_env_file(text), "tljh_lite/downloads/settings.py parse_env_file()",
         parse_env_file(text))
    downloads = bootstrap.downloads_for({"PATH": "/bin"}, text, None)
    assert downloads.proxy_from == "saved by the last install"
    assert {k: v for k, v in downloads.env().items() if "proxy" in k.lower()} == {
        k: v for k, v in saved.env().items() if "proxy" in k.lower()}
    assert downloads.index_url == "https://devpi.campus.edu/simple/"
    # A proxy named in the environment (even as empty: none) wins over the saved one, and the installer
    # sees it named, to forget the saved one.
    environ = {"https_proxy": ""}
    none = bootstrap.downloads_for(environ, text, "https://other.campus.edu/simple/")
    assert none.proxy == {} and none.index_url == "https://other.campus.edu/simple/"
    assert not any("proxy" in key.lower() for key in none.env())
    layout = bootstrap.Layout("/opt/tljh")
    given = bootstrap.installer_env(environ, layout, 0.0, none.env())
    # What the installer saves (tljh_lite/installer/downloads.py): nothing, the saved proxy is forgotten.
    assert given["https_proxy"] == "" and proxy.checked(proxy.given(given)) == {}


@pytest.mark.parametrize("url", ["https://devpi.campus.edu/root/pypi/+simple/", "http://10.0.0.5:8080/simple/",
                                 "ftp://m/simple", "https://u:p@m/simple/", "https://tok@m/", "m.campus.edu/simple",
                                 "https:///simple", "https://a b/"])
def test_bootstrap_takes_the_same_mirrors_as_config_yaml(url):
    check, _words = FORMATS["index-url-or-empty"]
    try:
        bootstrap.check_index_url(url)
        accepted = True
    except bootstrap.BootstrapError:
        accepted = False
    same(f"check_index_url({url!r}) accepts it:", accepted, "tljh_lite/config/formats.py index-url-or-empty",
         check(url))


# ---------------------------------------------------------------- bundles


def test_bootstrap_reads_the_bundle_format_the_package_writes():
    from tljh_lite.bundle import manifest, wanted

    for ours, theirs in [("BUNDLE_FORMAT", "FORMAT"), ("BUNDLE_MANIFEST", "MANIFEST"), ("BUNDLE_WHEELS", "WHEELS"),
                         ("BUNDLE_DEBS", "DEBS"), ("BUNDLE_USER_REQUIREMENTS", "USER_REQUIREMENTS")]:
        same(ours, getattr(bootstrap, ours), f"tljh_lite/bundle/manifest.py {theirs}", getattr(manifest, theirs))
    same("BUNDLE_MEMBER_NAME", bootstrap.BUNDLE_MEMBER_NAME.pattern, "tljh_lite/bundle/manifest.py MEMBER_NAME",
         manifest.MEMBER_NAME.pattern)
    assert bootstrap.VENV_PACKAGE in wanted.ALSO_APT_PACKAGES, (
        f"installer/bootstrap.py VENV_PACKAGE ({bootstrap.VENV_PACKAGE}) is not in tljh_lite/bundle/wanted.py "
        "ALSO_APT_PACKAGES: bundles would not hold what bootstrap installs")


def test_the_installer_reads_what_bootstrap_adds_for_a_bundle():
    args = bootstrap.parse_args(["--bundle", "b.tar", "--index-url", "https://m/simple/"], {})
    extra = ["--from-bundle", "/var/tmp/b", "--plugin", "course==1.0", "--user-requirements-txt-url", "/var/tmp/b/r.txt"]
    options = installer.parse_args(["--distro", "debian:12", *bootstrap.installer_command(
        bootstrap.Layout("/opt/tljh"), "debian:12", args, extra)[5:]])
    same("installer_command() with a bundle", (str(options.bundle), options.plugins, options.user_requirements_txt_url,
                                               options.index_url),
         "tljh_lite/installer/main.py parse_args()", ("/var/tmp/b", ["course==1.0"], "/var/tmp/b/r.txt", "https://m/simple/"))


@pytest.mark.parametrize("url", ["https://devpi.campus.edu/root/pypi/+simple/", "http://mirror.campus:8080/simple/"])
def test_bootstrap_gives_children_the_mirror_as_the_saved_settings_do(url):
    from tljh_lite.downloads.settings import DownloadSettings

    same(f"Downloads(index {url}).env()", bootstrap.Downloads({}, "", url, "--index-url").env(),
         "tljh_lite/downloads/settings.py DownloadSettings.env()", DownloadSettings(index_url=url).env())
