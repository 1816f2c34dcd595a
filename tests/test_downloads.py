"""How this machine downloads: the campus proxy (checked, saved root-only, kept for later runs, its
password for admins only), the mirror (config.yaml's pip.index_url, in both pip.conf), and pip's
patience after an install from a bundle (docs/offline.md)."""

from __future__ import annotations

import stat

import pytest

from tljh_lite.config.checker import Checker
from tljh_lite.config.file import ConfigFile
from tljh_lite.config.rules import BUILT_IN_RULES
from tljh_lite.config.schema import build_schema
from tljh_lite.downloads import proxy
from tljh_lite.downloads.pipconf import MARKER, ensure_pip_confs
from tljh_lite.downloads.settings import DownloadSettings, apply, keep_mirror, parse_env_file, server_env
from tljh_lite.errors import TljhError
from tljh_lite.hub.unit import hub_reads, hub_unit
from tljh_lite.https.units import renew_service_unit
from tljh_lite.installer.downloads import prepare_downloads
from tljh_lite.paths import Paths
from tljh_lite.redact import redact_urls

SECRET = "s3cret"
CAMPUS = f"http://teacher:{SECRET}@proxy.campus.edu:3128"


@pytest.fixture
def paths(tmp_path) -> Paths:
    return Paths(tmp_path / "prefix")


# ---------------------------------------------------------------- the proxy


def test_the_proxy_is_read_in_either_case_lowercase_first():
    assert proxy.given({}) is None
    assert proxy.given({"HTTPS_PROXY": "http://a:1"}) == {"https_proxy": "http://a:1"}
    assert proxy.given({"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:1"}) == {"https_proxy": "http://low:1"}
    assert proxy.given({"http_proxy": ""}) == {"http_proxy": ""}  # named, empty: "no proxy"


def test_the_proxy_is_made_whole():
    settings = proxy.checked({"http_proxy": "proxy.campus.edu:3128", "https_proxy": CAMPUS, "no_proxy": ".campus.edu"})
    assert settings == {
        "http_proxy": "http://proxy.campus.edu:3128",  # a scheme, as curl and requests read it
        "https_proxy": CAMPUS,
        "no_proxy": ".campus.edu,localhost,127.0.0.1,::1",  # the hub's own calls never go to the proxy
    }
    assert proxy.checked({"http_proxy": "", "https_proxy": ""}) == {}
    assert proxy.checked({"no_proxy": "x"}) == {}  # no_proxy alone: nothing to bypass


@pytest.mark.parametrize("value", ["ftp://proxy:21", "http://", "http://proxy:port", "socks://x:1", "http://a b:1"])
def test_a_bad_proxy_is_refused_in_one_line_without_its_password(value):
    with pytest.raises(TljhError) as error:
        proxy.checked({"https_proxy": value.replace("://", f"://u:{SECRET}@", 1) if "://" in value else value})
    assert "is not a web proxy's URL" in error.value.message and SECRET not in error.value.one_line()
    assert "http://proxy.example.edu:3128" in error.value.hint


def test_children_get_both_spellings_and_students_no_password():
    exported = proxy.exported({"https_proxy": CAMPUS})
    assert exported == {"https_proxy": CAMPUS, "HTTPS_PROXY": CAMPUS}
    assert proxy.without_credentials(CAMPUS) == "http://proxy.campus.edu:3128"
    assert proxy.without_credentials("http://proxy:3128") == "http://proxy:3128"
    assert proxy.has_credentials(CAMPUS) and not proxy.has_credentials("http://proxy:3128")
    assert redact_urls(CAMPUS) == "http://***@proxy.campus.edu:3128"


# ---------------------------------------------------------------- the saved settings


def test_the_saved_settings_are_root_only_and_read_back_whole(paths):
    password = 'a"b\\c$d'  # quotes, backslashes and dollars survive the file
    settings = DownloadSettings(proxy.checked({"https_proxy": f"http://t:{password}@p:3128"}),
                                "https://devpi.campus.edu/root/pypi/+simple/", offline=True)
    assert settings.save(paths) and not settings.save(paths)  # written once, then left alone
    mode = stat.S_IMODE(paths.downloads_env.stat().st_mode)
    assert mode == 0o600 and stat.S_IMODE(paths.state_dir.stat().st_mode) == 0o700
    again = DownloadSettings.load(paths)
    assert again == settings
    env = parse_env_file(paths.downloads_env.read_text())
    assert env["HTTPS_PROXY"] == f"http://t:{password}@p:3128"
    assert env["PIP_INDEX_URL"] == env["UV_DEFAULT_INDEX"] == "https://devpi.campus.edu/root/pypi/+simple/"
    assert env["PIP_RETRIES"] == "1" and env["PIP_TIMEOUT"] == "10"


def test_an_online_install_without_proxy_saves_nothing_to_use(paths):
    DownloadSettings().save(paths)
    assert parse_env_file(paths.downloads_env.read_text()) == {}
    assert DownloadSettings.load(Paths(paths.prefix / "none")) == DownloadSettings()


def test_later_commands_download_as_the_install_did_unless_told_otherwise(paths):
    DownloadSettings(proxy.checked({"https_proxy": CAMPUS})).save(paths)
    environ = {"PATH": "/usr/bin"}
    apply(paths, environ)
    assert environ["https_proxy"] == environ["HTTPS_PROXY"] == CAMPUS and "localhost" in environ["no_proxy"]
    own = {"https_proxy": "http://other:1"}
    apply(paths, own)
    assert own == {"https_proxy": "http://other:1"}  # a proxy in the environment itself wins


def test_a_students_server_gets_the_proxy_without_its_password_an_admins_with_it(paths):
    hub = DownloadSettings(proxy.checked({"https_proxy": CAMPUS, "http_proxy": CAMPUS}), offline=True).env()
    student, admin = server_env(hub, admin=False), server_env(hub, admin=True)
    assert all(SECRET not in value for value in student.values())
    assert student["https_proxy"] == student["HTTP_PROXY"] == "http://proxy.campus.edu:3128"
    assert admin["https_proxy"] == CAMPUS  # `sudo -E pip install` goes through the proxy
    assert student["PIP_RETRIES"] == admin["PIP_RETRIES"] == "1"
    assert server_env({"PATH": "/bin", "HOME": "/root"}, admin=True) == {}  # nothing else of the hub's


# ---------------------------------------------------------------- the installer, the hub, reload


@pytest.fixture
def checker() -> Checker:
    return Checker(build_schema(), BUILT_IN_RULES)


def test_the_installer_saves_what_it_downloads_with_and_the_mirror_goes_to_config(paths, checker):
    environ = {"https_proxy": CAMPUS, "no_proxy": ".campus.edu"}
    settings = prepare_downloads(paths, "https://devpi.campus.edu/simple/", False, checker, environ)
    assert ConfigFile(paths.config_file).load()["pip"]["index_url"] == "https://devpi.campus.edu/simple/"
    assert DownloadSettings.load(paths) == settings
    assert environ["UV_DEFAULT_INDEX"] == environ["PIP_INDEX_URL"] == "https://devpi.campus.edu/simple/"
    assert environ["HTTPS_PROXY"] == CAMPUS and "PIP_RETRIES" not in environ
    # A re-run from a bundle, whose environment says "no proxy": the saved proxy is forgotten, the mirror kept.
    again = prepare_downloads(paths, None, True, checker, {"https_proxy": "", "http_proxy": ""})
    assert again.proxy == {} and again.index_url == "https://devpi.campus.edu/simple/" and again.offline


def test_a_mirror_with_a_password_is_refused_students_would_read_it(paths, checker):
    with pytest.raises(TljhError) as error:
        prepare_downloads(paths, f"https://u:{SECRET}@devpi/simple/", False, checker, {})
    assert "no password" in error.value.one_line()
    assert not paths.config_file.exists() or "index_url" not in paths.config_file.read_text()


def test_the_hub_and_the_renewal_read_the_saved_settings(paths):
    unit = hub_unit(paths)
    assert f"EnvironmentFile=-{paths.downloads_env}\n" in unit
    assert paths.downloads_env in list(hub_reads(paths, unit))  # a change restarts the hub at reload
    assert f"EnvironmentFile=-{paths.downloads_env}\n" in renew_service_unit(paths)


def test_the_mirror_is_in_both_environments_pip_conf_and_reload_keeps_it(paths):
    for venv in (paths.hub_venv, paths.user_venv):
        venv.mkdir(parents=True)
    DownloadSettings(proxy.checked({"https_proxy": CAMPUS}), offline=True).save(paths)
    assert keep_mirror(paths, "https://devpi.campus.edu/simple/")
    for venv in (paths.hub_venv, paths.user_venv):
        text = (venv / "pip.conf").read_text()
        assert text.startswith(MARKER) and "index-url = https://devpi.campus.edu/simple/" in text
        assert stat.S_IMODE((venv / "pip.conf").stat().st_mode) == 0o644
    saved = DownloadSettings.load(paths)
    assert saved.proxy["https_proxy"] == CAMPUS and saved.offline  # the rest kept as it was
    assert not keep_mirror(paths, "https://devpi.campus.edu/simple/")  # nothing changed: no hub restart
    assert keep_mirror(paths, "")
    assert not (paths.user_venv / "pip.conf").exists() and DownloadSettings.load(paths).index_url == ""


def test_a_pip_conf_of_the_admins_own_is_left_alone(paths):
    paths.user_venv.mkdir(parents=True)
    (paths.user_venv / "pip.conf").write_text("[global]\nextra-index-url = https://course.example.edu/simple/\n")
    assert ensure_pip_confs(paths, "") == []
    assert "course.example.edu" in (paths.user_venv / "pip.conf").read_text()


@pytest.mark.parametrize("url, ok", [
    ("", True), ("https://devpi.campus.edu/root/pypi/+simple/", True), ("http://10.0.0.5:8080/simple/", True),
    ("ftp://mirror/simple/", False), ("https://u:p@mirror/simple/", False), ("https://token@mirror/", False),
    ("mirror.campus.edu/simple", False), ("https:///simple", False), ("https://a b/", False),
])
def test_the_index_url_key_takes_a_mirror_without_a_password(checker, url, ok):
    problems = checker.schema_problems({"pip": {"index_url": url}})
    assert (not problems) == ok, problems


def test_a_plain_http_mirror_is_one_pip_is_told_to_trust(paths):
    """pip ignores an http:// index unless it is a trusted host (uv does not care)."""
    for venv in (paths.hub_venv, paths.user_venv):
        venv.mkdir(parents=True)
    keep_mirror(paths, "http://mirror.campus:8080/simple/")
    assert "trusted-host = mirror.campus:8080\n" in (paths.user_venv / "pip.conf").read_text()
    assert DownloadSettings.load(paths).env()["PIP_TRUSTED_HOST"] == "mirror.campus:8080"
    keep_mirror(paths, "https://devpi.campus.edu/simple/")
    assert "trusted-host" not in (paths.user_venv / "pip.conf").read_text()
    assert "PIP_TRUSTED_HOST" not in DownloadSettings.load(paths).env()
