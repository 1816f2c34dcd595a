"""Credentials inside URLs (--plugin, --source, --user-requirements-txt-url) never reach
the install log, the terminal or the progress page: bootstrap's own rule and the
package's (tljh_lite.redact) agree, and every place that logs or prints uses them."""

from __future__ import annotations

import io
import logging
import os
import sys

import pytest

from tljh_lite.runner import CommandError, Result
from tljh_lite.installer.main import failure_lines, setup_logging
from tljh_lite.installer.progress import Progress
from tljh_lite.redact import redact_urls

from fakes import RecordingRunner
from bootstrap_fakes import bootstrap, make_plan

SECRET = "s3cret"

HIDDEN = [
    ("https://user:s3cret@host/x.whl", "https://***@host/x.whl"),
    ("https://s3cret@host/simple/", "https://***@host/simple/"),
    ("git+https://s3cret@github.com/org/course.git@v1.2#egg=course", "git+https://***@github.com/org/course.git@v1.2#egg=course"),
    ("course @ https://user:s3cret@pypi.example.org/c-1.0.whl", "course @ https://***@pypi.example.org/c-1.0.whl"),
    ("tljh-lite[hub] @ https://u:s3cret@h:8443/t.whl", "tljh-lite[hub] @ https://***@h:8443/t.whl"),
    ("https://user:p@ss@s3cret@host/x", "https://***@host/x"),  # an unescaped '@' in the password
    ("https://user%40uni:s3cret%2F@host/x", "https://***@host/x"),
    ("ssh://git:s3cret@host/repo", "ssh://***@host/repo"),  # ssh with a password is still a secret
    ("$ uv pip install 'https://user:s3cret@host/x.whl' -r https://t:s3cret@h/r.txt",
     "$ uv pip install 'https://***@host/x.whl' -r https://***@h/r.txt"),
    ('error: Failed to fetch: "https://user:s3cret@127.0.0.1:9/x.whl"', 'error: Failed to fetch: "https://***@127.0.0.1:9/x.whl"'),
    ("HTTPS://USER:s3cret@HOST/X", "HTTPS://***@HOST/X"),
    # A campus web proxy (http_proxy, https_proxy), as uv, pip and apt print it in their errors.
    ("https_proxy=http://teacher:s3cret@proxy.campus.edu:3128", "https_proxy=http://***@proxy.campus.edu:3128"),
    ("error: Failed to connect to proxy http://teacher:s3cret@10.0.0.1:3128/", "error: Failed to connect to proxy http://***@10.0.0.1:3128/"),
]

KEPT = [
    "tljh-lite",
    "tljh-lite==0.2",
    "numpy>=1.26; python_version >= '3.10'",
    "course @ https://example.org/course-1.0-py3-none-any.whl",
    "git+https://github.com/org/course.git@main#egg=course",
    "git+https://github.com/org/course.git@v1.0",
    "git+ssh://git@github.com/org/course.git",  # a user name for ssh keys, not a secret
    "tljh-lite[hub] @ file:///srv/tljh-lite",
    "file:///srv/course@2024/dist/c.whl",
    "https://example.org/r.txt?user=me@example.org",
    "write to prof@example.org",
    "==> [ 12.3s] Installing plugins: ./my-plugin, tljh-some-course",
    "",
]


@pytest.mark.parametrize("redact", [redact_urls, bootstrap.redact_urls], ids=["tljh_lite", "bootstrap"])
@pytest.mark.parametrize("text, expected", HIDDEN)
def test_credentials_in_urls_are_hidden(redact, text, expected):
    assert redact(text) == expected
    assert redact(expected) == expected  # redacting twice changes nothing


@pytest.mark.parametrize("redact", [redact_urls, bootstrap.redact_urls], ids=["tljh_lite", "bootstrap"])
@pytest.mark.parametrize("text", KEPT)
def test_normal_specs_and_text_are_left_alone(redact, text):
    assert redact(text) == text


def test_bootstrap_and_the_package_use_the_same_pattern():
    from tljh_lite import redact

    ours, theirs = bootstrap.URL_CREDENTIALS, redact.URL_CREDENTIALS
    assert (ours.pattern, ours.flags) == (theirs.pattern, theirs.flags), (
        f"installer/bootstrap.py URL_CREDENTIALS is {ours!r}, but tljh_lite/redact.py URL_CREDENTIALS is "
        f"{theirs!r}: make them equal"
    )


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_plan_hides_credentials_on_the_terminal_and_in_the_log():
    plan = make_plan(["--plugin", "https://u:s3cret@h/p.whl", "--user-requirements-txt-url", "https://s3cret@h/r.txt"])
    plan.requirement = "tljh-lite[hub] @ https://u:s3cret@h/t.whl"
    text = "\n".join(plan.describe())
    assert SECRET not in text
    assert "https://***@h/p.whl" in text and "https://***@h/r.txt" in text and "https://***@h/t.whl" in text


def test_bootstrap_shows_the_campus_proxy_without_its_password():
    downloads = bootstrap.downloads_for({"https_proxy": f"http://teacher:{SECRET}@proxy.campus.edu:3128"}, None, None)
    plan = make_plan([])
    plan.downloads = downloads
    text = "\n".join(plan.describe())
    assert SECRET not in text and "web proxy: http://***@proxy.campus.edu:3128 (from the environment)" in text
    with pytest.raises(bootstrap.BootstrapError) as error:
        bootstrap.downloads_for({"https_proxy": f"ftp://teacher:{SECRET}@proxy:21"}, None, None)
    assert SECRET not in error.value.one_line() and "ftp://***@proxy:21" in error.value.message


def test_bootstrap_runner_hides_credentials_in_commands_output_and_errors(tmp_path, capsys):
    log = bootstrap.Log(str(tmp_path / "installer.log"))
    runner = bootstrap.Runner(log, dict(os.environ))
    url = f"https://user:{SECRET}@127.0.0.1:9/x.whl"
    script = "import sys; print('fetching', sys.argv[1]); print('error: failed', sys.argv[1], file=sys.stderr); sys.exit(2)"
    with pytest.raises(bootstrap.BootstrapError) as error:
        runner.run([sys.executable, "-c", script, url], 60)
    bootstrap.report_failure(error.value)
    log.write_line(f"a line with {url}")
    log.close()
    logged, shown = (tmp_path / "installer.log").read_text(), capsys.readouterr().err
    for text in (logged, shown):
        assert SECRET not in text
        assert "https://***@127.0.0.1:9/x.whl" in text
    assert "fetching https://***@127.0.0.1:9/x.whl" in logged and "error: failed https://***@" in logged


def test_bootstrap_reporter_hides_credentials(capsys):
    reporter = bootstrap.Reporter(0.0, clock=lambda: 1.0)
    reporter.step(f"Installing https://u:{SECRET}@h/x")
    reporter.warn(f"could not reach https://u:{SECRET}@h/x")
    out, err = capsys.readouterr()
    assert SECRET not in out + err and "https://***@h/x" in out and "https://***@h/x" in err


# ---------------------------------------------------------------- the installer package


def test_the_command_runner_logs_commands_and_output_without_credentials(caplog):
    url = f"https://user:{SECRET}@host/x.whl"
    argv = ["uv", "pip", "install", url]
    runner = RecordingRunner({("uv",): Result(argv, 1, f"Downloading {url}\n", f"error: cannot fetch {url}\n")})
    with caplog.at_level(logging.DEBUG, logger="tljh_lite"), pytest.raises(CommandError) as error:
        runner.run(argv)
    assert runner.calls == [argv]  # the command itself gets the real URL
    assert error.value.result.argv[-1] == url  # and so does the caller that reads the Result
    for text in (caplog.text, str(error.value), error.value.last_lines()):
        assert SECRET not in text and "https://***@host/x.whl" in text


def test_progress_hides_credentials_and_logs_secrets_only_as_told(caplog):
    out = io.StringIO()
    progress = Progress(1.0, out)
    with caplog.at_level(logging.INFO, logger="tljh_lite"):
        with progress.step(f"Installing plugins: https://u:{SECRET}@h/p.whl"):
            pass
        progress.say("Admin: ta, password: Gen3rated-Pw", log_text="Admin: ta, password: (shown on the terminal only)")
    assert SECRET not in out.getvalue() + caplog.text
    assert "https://***@h/p.whl" in out.getvalue() and "https://***@h/p.whl" in caplog.text
    assert "Gen3rated-Pw" in out.getvalue() and "Gen3rated-Pw" not in caplog.text


def test_the_install_log_hides_credentials_in_every_line_and_traceback(tmp_path):
    path = tmp_path / "installer.log"
    logger = logging.getLogger("tljh_lite")
    handlers = list(logger.handlers)
    setup_logging(path)
    try:
        logger.info("plugin %s", f"https://u:{SECRET}@h/p.whl")
        try:
            raise ValueError(f"bad URL git+https://{SECRET}@h/r.git")
        except ValueError as e:
            lines = failure_lines(e, path)
    finally:
        for handler in logger.handlers[len(handlers):]:
            handler.close()
            logger.removeHandler(handler)
    text = path.read_text()
    assert SECRET not in text and "https://***@h/p.whl" in text and "git+https://***@h/r.git" in text
    assert "Traceback" in text and lines[0].startswith("error: unexpected ValueError")
    assert (path.stat().st_mode & 0o777) == 0o600
