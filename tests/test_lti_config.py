"""LTI 1.3 set up with the `tljh-config` lines of docs/lms.md: every key reaches the hub's
settings with the type LTI13Authenticator takes, bad values are refused in one line, a launch
inside the LMS's page gets its cookies and frame permission over HTTPS only, and `tljh-lite lti
info` prints what to paste into the LMS."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets import Dict
from traitlets.config import Application

from fakes import configured
from tljh_lite.auth.kinds import LTI13_CLASS, hub_class, kind_of
from tljh_lite.auth.lockout import lockout_warnings
from tljh_lite.cli.tljh_lite import main as tljh_lite_main
from tljh_lite.config.defaults import merged
from tljh_lite.hub.settings import hub_settings

DOCS = Path(__file__).parent.parent / "docs" / "lms.md"
UPSTREAM = "ltiauthenticator.lti13.auth.LTI13Authenticator"
CANVAS = [
    "set auth.LTI13Authenticator.issuer https://canvas.instructure.com",
    "set auth.LTI13Authenticator.client_id 10000000000123",
    "set auth.LTI13Authenticator.authorize_url https://sso.canvaslms.com/api/lti/authorize_redirect",
    "set auth.LTI13Authenticator.jwks_endpoint https://sso.canvaslms.com/api/lti/security/jwks",
    "set auth.LTI13Authenticator.username_key custom_username",
    "add-item auth.LTI13Authenticator.frame_ancestors https://school.instructure.com",
    f"set auth.type {UPSTREAM}",
]
MOODLE = [
    "set auth.LTI13Authenticator.issuer https://moodle.school.edu",
    "set auth.LTI13Authenticator.client_id wQ3y0bF5cZk2HdM",
    "set auth.LTI13Authenticator.authorize_url https://moodle.school.edu/mod/lti/auth.php",
    "set auth.LTI13Authenticator.jwks_endpoint https://moodle.school.edu/mod/lti/certs.php",
    f"set auth.type {UPSTREAM}",
]
HTTPS = ["set https.enabled true", "set https.tls.key /etc/hub/key.pem", "set https.tls.cert /etc/hub/cert.pem"]


def test_the_docs_show_these_lines():
    text = DOCS.read_text()
    for line in CANVAS + MOODLE:
        assert f"sudo tljh-config {line}\n" in text, line


def test_canvas_as_docs_lms_md_sets_it_up(cli, config_path, checker):
    c = configured(cli, config_path, checker, *CANVAS)
    assert c.JupyterHub.authenticator_class == LTI13_CLASS  # ours, under upstream's class name
    section = c.LTI13Authenticator
    assert section.issuer == "https://canvas.instructure.com"
    assert section.client_id == "10000000000123"  # a developer key's digits stay text
    assert section.authorize_url == "https://sso.canvaslms.com/api/lti/authorize_redirect"
    assert section.jwks_endpoint == "https://sso.canvaslms.com/api/lti/security/jwks"
    assert section.username_key == "custom_username"
    assert section.frame_ancestors == ["https://school.instructure.com"]
    # JupyterHub 5+ lets nobody in without it; the LMS and the roles decide, users.banned stays out.
    assert section.allow_all is True
    assert "allowed_roles" not in section and "lms_admins_are_hub_admins" not in section  # the class's defaults


def test_moodle_as_docs_lms_md_sets_it_up(cli, config_path, checker):
    c = configured(cli, config_path, checker, *MOODLE, "add-item auth.LTI13Authenticator.allowed_roles Instructor",
                   "set auth.LTI13Authenticator.lms_admins_are_hub_admins true")
    assert c.LTI13Authenticator.client_id == "wQ3y0bF5cZk2HdM"
    assert c.LTI13Authenticator.allowed_roles == ["Instructor"]
    assert c.LTI13Authenticator.lms_admins_are_hub_admins is True


@pytest.mark.parametrize("line, words", [
    ("set auth.LTI13Authenticator.jwks_endpoint http://moodle.school.edu/mod/lti/certs.php",
     "auth.LTI13Authenticator.jwks_endpoint must be the LMS's public keyset URL (https://...), or none"),
    ("set auth.LTI13Authenticator.issuer moodle.school.edu", "must be the LMS's issuer (https://...)"),
    ("add-item auth.LTI13Authenticator.allowed_roles Mentor", "must be Instructor, TeachingAssistant or Learner"),
    ("set auth.LTI13Authenticator.lms_admins_are_hub_admins yes", "must be true or false"),
    ("add-item auth.LTI13Authenticator.frame_ancestors https://school.instructure.com/courses/1",
     "must be an https:// address with no path"),
    ("set auth.LTI13Authenticator.allowed_roles Learner", "must be a list of LMS roles (Instructor, TeachingAssistant, "
     "Learner), or none for all three, not 'Learner'"),
])
def test_bad_values_are_refused_in_one_line_and_nothing_is_written(cli, config_path, line, words):
    result = cli(*line.split())
    assert result.code == 1 and words in result.err, result.err
    assert result.err.count("\n") == 1
    assert not config_path.exists()


def test_reload_needs_the_lms_values_and_set_only_warns(cli, checker, config_path):
    result = cli("set", "auth.type", UPSTREAM)
    assert result.code == 0 and "still has a problem to fix before reload: LTI 1.3 login needs" in result.err
    from tljh_lite.config.file import ConfigFile

    (problem,) = checker.problems(ConfigFile(config_path).load())
    assert problem.message == ("LTI 1.3 login needs auth.LTI13Authenticator.issuer, auth.LTI13Authenticator.client_id, "
                               "auth.LTI13Authenticator.authorize_url, auth.LTI13Authenticator.jwks_endpoint")
    assert "tljh-lite lti info" in problem.hint
    for line in CANVAS:
        cli(*line.split())
    assert checker.problems(ConfigFile(config_path).load()) == []


@pytest.mark.parametrize("auth_type, kind", [
    (UPSTREAM, "lti13"), (LTI13_CLASS, "lti13"),
    ("ltiauthenticator.LTIAuthenticator", "other"),  # LTI 1.1: not ours
    ("ltiauthenticator.lti11.auth.LTI11Authenticator", "other"),
])
def test_only_lti_13_runs_as_our_class(auth_type, kind):
    assert kind_of(auth_type) == kind
    assert hub_class(auth_type) == (LTI13_CLASS if kind == "lti13" else auth_type)


def server_settings(args: list[str]) -> dict:
    class ServerApp(Application):  # what jupyterhub-singleuser parses its arguments with
        tornado_settings = Dict(config=True)

    server = ServerApp()
    server.parse_command_line([arg.format(USERNAME="jupyter-x", USERID=1) for arg in args])
    return server.tornado_settings


def test_over_https_a_launch_inside_the_lms_page_gets_cross_site_cookies_and_may_be_framed_by_the_lms_only(
        cli, config_path, checker):
    c = configured(cli, config_path, checker, *MOODLE, *HTTPS)
    cross_site = {"secure": True, "samesite": "None"}
    hub = c.JupyterHub.tornado_settings
    assert hub["cookie_options"] == cross_site  # the login, and the launch's state and nonce cookies
    assert hub["xsrf_cookie_kwargs"] == cross_site
    assert hub["headers"]["Content-Security-Policy"] == ("frame-ancestors 'self' https://moodle.school.edu; "
                                                         "report-uri /hub/security/csp-report")
    server = server_settings(c.Spawner.args)
    assert server["xsrf_cookie_kwargs"] == cross_site
    assert server["headers"] == {"Content-Security-Policy": "frame-ancestors 'self' https://moodle.school.edu"}


def test_canvas_pages_are_named_and_the_issuer_then_is_not_a_frame_ancestor(cli, config_path, checker):
    c = configured(cli, config_path, checker, *CANVAS, *HTTPS)
    assert c.JupyterHub.tornado_settings["headers"]["Content-Security-Policy"].startswith(
        "frame-ancestors 'self' https://school.instructure.com;")


def test_nothing_changes_without_https_or_without_lti(cli, config_path, checker):
    without_https = configured(cli, config_path, checker, *MOODLE)
    assert "tornado_settings" not in without_https.JupyterHub
    plain = hub_settings(merged({"https": {"enabled": True, "tls": {"key": "/k", "cert": "/c"}}}))
    assert plain["JupyterHub"]["tornado_settings"] == {"xsrf_cookie_kwargs": {"secure": True}}
    assert server_settings(plain["Spawner"]["args"]) == {"xsrf_cookie_kwargs": {"secure": True}}


def test_reload_tells_the_professor_admins_must_be_lms_names():
    (line,) = lockout_warnings(merged({"auth": {"type": UPSTREAM}, "users": {"admin": ["prof"]}}))
    assert "prof (users.admin) must be written exactly as the hub names LTI launches give" in line


def lti_info(config_path: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = tljh_lite_main(["lti", "info", "--config-path", str(config_path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_lti_info_prints_the_urls_for_the_hubs_domain_and_what_is_missing(cli, config_path, capsys):
    for line in ["set https.enabled true", "set https.letsencrypt.email prof@school.edu",
                 "add-item https.letsencrypt.domains hub.school.edu", f"set auth.type {UPSTREAM}"]:
        cli(*line.split())
    code, out, _ = lti_info(config_path, capsys)
    assert code == 1
    assert "  Login initiation URL (OpenID Connect):  https://hub.school.edu/hub/lti13/oauth_login\n" in out
    assert "  Redirect URI (launch URL):              https://hub.school.edu/hub/lti13/oauth_callback\n" in out
    assert "  Target link URI:                        https://hub.school.edu/\n" in out
    assert "  Public keyset (JWK) URL:                https://hub.school.edu/hub/lti13/jwks\n" in out
    assert "  Configuration URL (Canvas, JSON):       https://hub.school.edu/hub/lti13/config\n" in out
    assert "  auth.LTI13Authenticator.issuer         (not set)\n" in out
    assert "Needs you: set auth.LTI13Authenticator.jwks_endpoint: the LMS's public keyset URL" in out
    assert "HTTPS" not in out.split("Needs you")[-1]  # on already


def test_lti_info_with_everything_set_needs_nothing_and_takes_the_address_given(cli, config_path, capsys):
    for line in MOODLE + HTTPS + ["set base_url /jupyter/"]:
        cli(*line.split())
    code, out, _ = lti_info(config_path, capsys, "--url", "https://hub.test:8443/")
    assert code == 0 and "Needs you" not in out
    assert "https://hub.test:8443/jupyter/hub/lti13/oauth_callback" in out
    assert "  auth.LTI13Authenticator.jwks_endpoint  https://moodle.school.edu/mod/lti/certs.php\n" in out


def test_lti_info_says_what_is_unknown_and_refuses_a_wrong_url(cli, config_path, capsys):
    cli("set", "auth.type", UPSTREAM)
    code, out, _ = lti_info(config_path, capsys)
    assert code == 1 and "http://<this machine's address>/hub/lti13/oauth_login" in out
    assert "Needs you: turn HTTPS on" in out and "give it with --url https://YOUR-HUB/" in out
    code, _, err = lti_info(config_path, capsys, "--url", "hub.school.edu")
    assert code == 1 and err == ("tljh-lite: error: --url hub.school.edu is not a web address; give it like "
                                 "https://hub.example.edu/\n")


def test_a_move_to_zero_to_jupyterhub_does_not_open_the_released_class_to_the_login_form(cli, config_path, checker):
    """The chart's hub image has ltiauthenticator as released; with allow_all it would log in whoever
    posts the login form, so the export leaves allow_all off and says what to do."""
    from tljh_lite.config.file import ConfigFile
    from tljh_lite.scaleout.values import chart_values

    for line in MOODLE:
        cli(*line.split())
    out = chart_values(checker.merged(ConfigFile(config_path).load()), image=("img", "1"), read_text=lambda p: "")
    hub = out.values["hub"]["config"]
    assert hub["JupyterHub"]["authenticator_class"] == UPSTREAM
    assert "allow_all" not in hub["LTI13Authenticator"] and hub["LTI13Authenticator"]["client_id"] == "wQ3y0bF5cZk2HdM"
    (note,) = [n for n in out.notes if n.setting == f"auth.type {UPSTREAM}"]
    assert "tljh_lite.auth.lti.authenticator.LTI13Authenticator" in note.instead
