"""Admin passwords: given without `ps` seeing them (a terminal prompt, a root-only
file, the environment), never needed on a re-run, never written to the install
log, and never lost to a failed install. Also bootstrap's and the installer's umask."""

from __future__ import annotations

import dbm
import io
import json
import os
import select
import stat
import threading
import time

import pytest

from tljh_lite.errors import TljhError
from tljh_lite.installer import main as installer
from tljh_lite.installer.admins import Admin, Stored, check_admin_passwords, password_states
from tljh_lite.paths import Paths
from tljh_lite.users.passwords import passwords_dbm

from bootstrap_fakes import FakeMachine, bootstrap, make_plan

BootstrapError = bootstrap.BootstrapError
ENV_VAR = "TLJH_ADMIN_PASSWORD"


def resolve(argv, environ=None, ask=None, read_file=None):
    warnings = []
    args = bootstrap.parse_args(argv, {})
    admins = bootstrap.resolve_passwords(
        args, environ or {}, warnings.append, ask or (lambda name: pytest.fail("asked")),
        read_file or (lambda path: pytest.fail("read a file")),
    )
    return admins, warnings


# ---------------------------------------------------------------- bootstrap: where a password comes from


def test_a_re_run_needs_no_password():
    # --admin NAME alone: a generated password the installer stores only if the admin has none.
    [admin], warnings = resolve(["--admin", "prof"])
    assert admin.generated and admin.source == "kept, or generated if new" and warnings == []
    assert json.loads(bootstrap.installer_stdin([admin]))["admins"][0]["generated"] is True
    assert resolve([]) == ([], [])  # no --admin at all: nothing about admins changes


def test_a_password_on_the_command_line_still_works_and_warns_that_ps_shows_it(tmp_path, capsys):
    [admin], _ = resolve(["--admin", "prof:correct:horse"])
    assert (admin.password, admin.source, admin.generated) == ("correct:horse", "given", False)
    code = bootstrap.main(["--preflight-only", "--admin", "prof:correct:horse"],
                          {"TLJH_INSTALL_PREFIX": str(tmp_path / "p")}, FakeMachine())
    err = capsys.readouterr().err
    assert code == 0 and err.count("\n") == 1
    assert "shows in the process list (ps)" in err and "--admin-password-prompt" in err and "--admin-password-file" in err
    assert "correct:horse" not in err


def test_the_password_from_the_environment_goes_to_the_one_admin_without_one():
    admins, warnings = resolve(["--admin", "prof", "--admin", "ta:ta-password"], {ENV_VAR: "from-the-env"})
    assert [(a.name, a.password, a.source, a.generated) for a in admins] == [
        ("prof", "from-the-env", f"from ${ENV_VAR}", False),
        ("ta", "ta-password", "given", False),
    ]
    assert warnings == []


def test_the_environment_password_with_no_admin_to_take_it_is_ignored_with_a_warning():
    admins, warnings = resolve([], {ENV_VAR: "from-the-env"})
    assert admins == [] and warnings == [
        f"{ENV_VAR} is set, but no --admin NAME is given without a password to take it; ignoring it"
    ]


def test_one_password_for_two_admins_is_refused():
    with pytest.raises(BootstrapError, match=r"holds one password, but 2 admins are given without one \(prof, ta\)"):
        resolve(["--admin", "prof", "--admin", "ta"], {ENV_VAR: "from-the-env"})


def test_a_password_file_or_prompt_without_an_admin_is_refused():
    with pytest.raises(BootstrapError, match="no admin is given without one; add --admin NAME"):
        resolve(["--admin-password-file", "/root/pw"])
    with pytest.raises(BootstrapError, match="no admin is given without one"):
        resolve(["--admin", "prof:password1", "--admin-password-prompt"])


def test_a_short_password_from_the_environment_is_refused_without_showing_it():
    with pytest.raises(BootstrapError) as error:
        resolve(["--admin", "prof"], {ENV_VAR: "short"})
    assert "shorter than 8 characters" in str(error.value) and "short'" not in str(error.value)
    with pytest.raises(BootstrapError, match="longer than 72 bytes"):
        resolve(["--admin", "prof"], {ENV_VAR: "é" * 40})


def test_the_prompt_asks_for_each_admin_without_a_password():
    admins, _ = resolve(["--admin", "prof", "--admin", "ta", "--admin-password-prompt"], ask=lambda name: f"{name}-typed-pw")
    assert [(a.password, a.source) for a in admins] == [
        ("prof-typed-pw", "asked on the terminal"), ("ta-typed-pw", "asked on the terminal")
    ]


def test_a_file_and_a_prompt_together_are_refused(capsys):
    with pytest.raises(SystemExit):
        bootstrap.parse_args(["--admin", "prof", "--admin-password-prompt", "--admin-password-file", "f"], {})
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_file_option_reads_the_files_first_line():
    admins, _ = resolve(["--admin", "prof", "--admin-password-file", "/root/pw"], read_file=lambda path: "from-a-file")
    assert [(a.password, a.source) for a in admins] == [("from-a-file", "from /root/pw")]


def private_file(tmp_path, text, mode=0o600):
    path = tmp_path / "admin-password"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def test_a_root_only_password_file_gives_its_first_line(tmp_path):
    uid = os.geteuid()
    assert bootstrap.read_password_file(private_file(tmp_path, "pass word:1\r\nsecond line\n"), uid) == "pass word:1"
    assert bootstrap.read_password_file(private_file(tmp_path, "no-newline"), uid) == "no-newline"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o620, 0o660])
def test_a_password_file_others_may_read_or_change_is_refused_in_one_line(tmp_path, mode):
    path = private_file(tmp_path, "a-good-password\n", mode)
    with pytest.raises(BootstrapError) as error:
        bootstrap.read_password_file(path, os.geteuid())
    assert str(error.value) == (
        f"--admin-password-file {path} can be read or changed by other users (mode {mode:04o}); "
        f"make it private: chmod 600 {path}"
    )


def test_a_password_file_someone_else_owns_a_missing_one_and_a_directory_are_refused(tmp_path):
    path = private_file(tmp_path, "a-good-password\n")
    with pytest.raises(BootstrapError, match=f"belongs to uid {os.geteuid()}.*; make it root's: chown root"):
        bootstrap.read_password_file(path, os.geteuid() + 1)
    with pytest.raises(BootstrapError, match="cannot read --admin-password-file .*: No such file"):
        bootstrap.read_password_file(str(tmp_path / "missing"), os.geteuid())
    with pytest.raises(BootstrapError, match="is not a file"):
        bootstrap.read_password_file(str(tmp_path), os.geteuid())


def test_main_refuses_a_readable_password_file_in_one_line_before_changing_anything(tmp_path, capsys):
    prefix = tmp_path / "prefix"
    path = private_file(tmp_path, "a-good-password\n", 0o644)
    code = bootstrap.main(["--admin", "prof", "--admin-password-file", path],
                          {"TLJH_INSTALL_PREFIX": str(prefix)}, FakeMachine())
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: --admin-password-file")
    assert "a-good-password" not in err and not prefix.exists()


def test_a_dry_run_checks_the_environment_password_and_asks_nothing(tmp_path, capsys):
    environ = {"TLJH_INSTALL_PREFIX": str(tmp_path / "p"), ENV_VAR: "from-the-env"}
    assert bootstrap.main(["--preflight-only", "--admin", "prof", "--admin", "ta", "--admin-password-prompt"],
                          environ, FakeMachine()) == 0
    out = capsys.readouterr().out
    assert "prof (password asked on the terminal), ta (password asked on the terminal)" in out
    assert bootstrap.main(["--preflight-only", "--admin", "prof"], environ, FakeMachine()) == 0
    out = capsys.readouterr().out
    assert f"prof (password from ${ENV_VAR})" in out and "from-the-env" not in out


def test_the_password_variable_reaches_no_command_bootstrap_runs():
    layout = bootstrap.Layout("/prefix")
    env = bootstrap.installer_env({"PATH": "/usr/bin", ENV_VAR: "from-the-env"}, layout, 1.0, {})
    assert ENV_VAR not in env and env["PATH"] == "/usr/bin"
    assert bootstrap.without_secrets({ENV_VAR: "x", "HOME": "/root"}) == {"HOME": "/root"}


def test_admins_reach_the_installer_on_stdin_only_and_the_plan_shows_no_password():
    plan = make_plan(["--admin", "prof", "--admin", "ta:given-password"])
    generated = plan.admins[0].password
    assert generated and generated in bootstrap.installer_stdin(plan.admins)
    text = "\n".join(plan.describe()) + repr(plan.admins)
    assert generated not in text and "given-password" not in text
    assert generated not in " ".join(bootstrap.installer_command(plan.layout, plan.distro, plan.args))


# ---------------------------------------------------------------- bootstrap: the prompt, on a real (pseudo) terminal


class Typist:
    """Plays a person at a terminal: answers each password prompt seen on the pty's master side."""

    def __init__(self, master: int, answers: list[str]):
        self.master, self.answers, self.screen = master, list(answers), b""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._type, daemon=True)

    def _type(self):
        answered = 0
        while not self.stop.is_set():
            if select.select([self.master], [], [], 0.05)[0]:
                self.screen += os.read(self.master, 1024)
            prompts = self.screen.count(b"Password for admin")
            if prompts > answered and answered < len(self.answers) and self.screen.endswith(b": "):
                os.write(self.master, self.answers[answered].encode() + b"\n")
                answered += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        time.sleep(0.1)
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def terminal():
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_the_prompt_asks_twice_on_the_terminal_and_never_echoes(terminal):
    master, path = terminal
    answers = ["x1y2", "first-Attempt", "second-Attempt", "the-Right-one", "the-Right-one"]
    with Typist(master, answers) as typist:
        assert bootstrap.ask_password("prof", path) == "the-Right-one"
    screen = typist.screen.decode()
    assert screen.count("Password for admin prof: ") == 3 and screen.count("Password for admin prof, again: ") == 2
    assert "That password is shorter than 8 characters; try again." in screen
    assert "The two passwords differ; try again." in screen
    for typed in answers:
        assert typed not in screen  # echo was off


def test_three_wrong_tries_give_up_in_one_line(terminal):
    master, path = terminal
    with Typist(master, ["short", "short2", "short3"]), pytest.raises(BootstrapError) as error:
        bootstrap.ask_password("prof", path)
    assert str(error.value) == (
        "no password for admin prof after 3 tries; run bootstrap again, or give just --admin prof to have one generated"
    )


def test_the_prompt_without_a_terminal_says_what_to_use_instead(tmp_path):
    with pytest.raises(BootstrapError, match="needs a terminal to ask on.*--admin-password-file FILE, or in "
                                             r"\$TLJH_ADMIN_PASSWORD"):
        bootstrap.ask_password("prof", str(tmp_path / "no-tty"))
    (tmp_path / "plain").write_text("")
    with pytest.raises(BootstrapError, match="is not a terminal"):
        bootstrap.ask_password("prof", str(tmp_path / "plain"))


# ---------------------------------------------------------------- umask


def test_bootstrap_sets_its_umask_before_anything_whatever_the_callers(tmp_path, capsys):
    old = os.umask(0o027)
    try:
        bootstrap.main(["--preflight-only"], {"TLJH_INSTALL_PREFIX": str(tmp_path / "p")}, FakeMachine())
        assert os.umask(0o027) == 0o022
    finally:
        os.umask(old)


def test_a_failed_bootstrap_says_where_admin_passwords_stand(tmp_path, capsys, monkeypatch):
    error = BootstrapError("uv failed", "see the log")

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(bootstrap, "install_steps", fail)
    plan = make_plan(["--admin", "prof"], prefix=str(tmp_path / "prefix"))
    with pytest.raises(BootstrapError):
        bootstrap.install(plan, {}, FakeMachine(), time.time())
    bootstrap.report_failure(error)
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: uv failed; see the log", bootstrap.PASSWORDS_NOT_SET]


# ---------------------------------------------------------------- the installer: stored last, shown once, never logged


@pytest.fixture
def installer_run(tmp_path, monkeypatch):
    """Run the installer's main() with its steps replaced; returns (run, calls)."""
    prefix = tmp_path / "opt"
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(prefix))
    monkeypatch.setenv("TLJH_LITE_LOG", str(prefix / "installer.log"))
    calls = []

    def run(admins, install=None, capsys=None):
        monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"admins": admins})))
        monkeypatch.setattr(installer, "install", install or (lambda *a: calls.append("install")
                                                              or installer.Installed("http://hub/", {})))
        stored = lambda config, paths, admins: calls.append("store") or Stored(list(admins), False)  # noqa: E731
        monkeypatch.setattr(installer, "ensure_admin_passwords", stored)
        old = os.umask(0o027)
        try:
            code = installer.main(["--distro", "debian:12"])
            umask = os.umask(old)
        finally:
            os.umask(old)
        return code, umask, (prefix / "installer.log").read_text()

    yield run, calls
    logger = installer.log
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)


def test_a_generated_password_is_stored_after_every_step_and_shown_on_the_terminal_only(installer_run, capsys):
    run, calls = installer_run
    code, umask, logged = run([{"name": "prof", "password": "Gen3rated-Pw-123", "generated": True}])
    out = capsys.readouterr().out
    assert code == 0 and umask == 0o022
    assert calls == ["install", "store"]
    assert "Admin: prof, password: Gen3rated-Pw-123  (shown only once: write it down)" in out
    assert "Gen3rated-Pw-123" not in logged
    assert "Admin: prof, with a generated password (shown on the terminal only)" in logged
    assert "Installation successful" in logged


def test_a_failed_install_stores_no_password_and_says_so(installer_run, capsys):
    run, calls = installer_run

    def install(*args):
        calls.append("install")
        raise TljhError("the hub did not answer in 120 s", "see journalctl -u jupyterhub")

    code, _, logged = run([{"name": "prof", "password": "Gen3rated-Pw-123", "generated": True}], install)
    err = capsys.readouterr().err
    assert code == 1 and calls == ["install"]  # never stored
    assert err.splitlines()[0] == "error: the hub did not answer in 120 s; see journalctl -u jupyterhub"
    assert ("Admin prof: no password yet (the install stopped before setting it); run bootstrap again with "
            "--admin prof, and one is generated and shown when the install finishes.") in err
    assert "Gen3rated-Pw-123" not in err + logged


def make_dbm(paths: Paths, names: list[str]) -> None:
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    with dbm.open(str(passwords_dbm(paths)), "c", 0o600) as db:
        for name in names:
            db[name.encode()] = b"$2b$12$hash"


def test_after_a_failure_each_admins_password_state_is_one_clear_line(tmp_path):
    paths = Paths(tmp_path)
    make_dbm(paths, ["prof", "ta"])
    admins = [Admin("prof", "x" * 16, True), Admin("ta", "given-password", False), Admin("new", "y" * 16, True),
              Admin("New2", "given-password", False)]
    assert password_states(paths, admins) == [
        "Admin prof: password unchanged.",
        "Admin ta: password unchanged (the install stopped before setting the new one).",
        "Admin new: no password yet (the install stopped before setting it); run bootstrap again with --admin new, "
        "and one is generated and shown when the install finishes.",
        "Admin New2: no password yet (the install stopped before setting it); run bootstrap again, and the password "
        "you give is set when the install finishes.",
    ]
    assert password_states(Paths(tmp_path / "fresh"), []) == []


def test_no_password_state_when_the_hub_does_not_use_firstuse(tmp_path):
    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text("auth:\n  type: oauthenticator.github.GitHubOAuthenticator\n")
    assert password_states(paths, [Admin("prof", "x" * 16, True)]) == []


def test_an_overlong_password_is_refused_before_anything_changes():
    with pytest.raises(TljhError, match="longer than 72 bytes"):
        check_admin_passwords([Admin("prof", "p" * 73, False)])
    check_admin_passwords([Admin("prof", "p" * 72, False), Admin("ta")])


def test_an_admins_password_never_shows_in_its_repr():
    assert "s3cret-pw" not in repr(Admin("prof", "s3cret-pw", False))
    assert "s3cret-pw" not in repr(bootstrap.Admin("prof", "s3cret-pw", bootstrap.GIVEN))


def test_state_files_stay_private_whatever_the_umask(tmp_path):
    from tljh_lite.installer.state import ensure_state

    old = os.umask(0)
    try:
        ensure_state(Paths(tmp_path))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "config").stat().st_mode) == 0o700
    for secret in (tmp_path / "state").iterdir():
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
