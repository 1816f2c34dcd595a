"""One person's password: the FirstUse store, reset-password, a new admin's password at the moment she
is named (tljh-config add-item users.admin), and `tljh-lite users list`."""

from __future__ import annotations

import threading
import time

import pytest

from tljh_lite.cli.tljh_lite import main as lite
from tljh_lite.cli.tljh_config import main as tljh_config
from tljh_lite.config.defaults import merged
from tljh_lite.errors import TljhError
from tljh_lite.paths import Paths
from fakes import stored
from tljh_lite.users import passwords
from tljh_lite.users.listing import table, totals, user_rows
from tljh_lite.users.newpassword import password_for_new_admin, reset_password
from tljh_lite.users.passwords import FirstUsePasswords, NewPassword, in_parallel
from tljh_lite.users.stores import password_store


@pytest.fixture
def fake_bcrypt(monkeypatch):
    monkeypatch.setattr(passwords, "bcrypt_hash", lambda new: f"hash:{new.rounds}:{new.password}".encode())
    monkeypatch.setattr(passwords, "bcrypt_matches", lambda pair: pair[1].decode().endswith(":" + pair[0]))


@pytest.fixture
def paths(tmp_path) -> Paths:
    paths = Paths(tmp_path / "tljh")
    paths.config_dir.mkdir(parents=True)
    paths.state_dir.mkdir()
    return paths


COURSE = merged({"users": {"admin": ["prof"], "allowed": ["alice", "Bob"]}})


# --- the FirstUse store -----------------------------------------------------------


def test_firstuse_refuses_what_firstuse_refuses(paths):
    store = password_store(COURSE, paths)
    assert store.problem("abc123") == ("shorter than 7 characters (FirstUseAuthenticator's minimum, "
                                       "auth.FirstUseAuthenticator.min_password_length)")
    assert store.problem("é" * 37) == "longer than 72 bytes (bcrypt's limit)"
    assert store.problem("seven!!") is None
    longer = merged({"auth": {"FirstUseAuthenticator": {"min_password_length": 10}}})
    assert password_store(longer, paths).problem("nine-char").startswith("shorter than 10 characters")


def test_firstuse_keys_passwords_by_the_lowercase_name_and_costs_depend_on_who_chose_it(paths, fake_bcrypt):
    store = FirstUsePasswords(passwords.passwords_dbm(paths))
    assert store.with_password(["alice"]) == set()  # no file yet
    store.store({"Alice": NewPassword("chosen-by-alice"), "bob": NewPassword("generated-pw", generated=True)})
    assert stored(paths) == {"alice": "hash:12:chosen-by-alice", "bob": "hash:6:generated-pw"}
    assert store.with_password(["ALICE", "bob", "carl"]) == {"ALICE", "bob"}
    assert store.already({"alice": "chosen-by-alice", "bob": "not-it", "carl": "x"}) == {"alice"}


def test_other_authenticators_keep_no_passwords_here(paths):
    assert password_store(merged({"auth": {"type": "github"}}), paths) is None
    assert password_store(merged({"auth": {"type": "ldapauthenticator.LDAPAuthenticator"}}), paths) is None


def test_hashing_runs_in_parallel_threads():
    def slow(x):
        time.sleep(0.2)  # bcrypt releases the GIL as sleep does
        return threading.get_ident()

    start = time.monotonic()
    threads = in_parallel(slow, range(4))
    if len(passwords.os.sched_getaffinity(0)) > 1:
        assert len(set(threads)) > 1 and time.monotonic() - start < 0.75


# --- reset-password and a new admin ------------------------------------------------


def test_reset_sets_a_given_or_generated_password_for_someone_who_may_log_in(paths, fake_bcrypt):
    generated, store = reset_password(COURSE, paths, "Bob", None)
    assert len(generated) == 16 and stored(paths) == {"bob": f"hash:6:{generated}"} and not store.restart_hub
    assert reset_password(COURSE, paths, "alice", "new-alice-pw")[0] is None
    assert stored(paths)["alice"] == "hash:12:new-alice-pw"
    with pytest.raises(TljhError, match="that password is shorter than 7 characters"):
        reset_password(COURSE, paths, "alice", "short")
    with pytest.raises(TljhError, match="mallory is not in users.allowed or users.admin"):
        reset_password(COURSE, paths, "mallory", None)
    with pytest.raises(TljhError, match="auth.type is github, whose passwords are not kept on this machine"):
        reset_password(merged({**COURSE, "auth": {"type": "github"}}), paths, "alice", None)


def test_a_new_admin_gets_a_password_at_once_unless_she_has_one_tljh_lite_set(paths, fake_bcrypt):
    asked = []
    new = password_for_new_admin(COURSE, paths, "TA", lambda name: asked.append(name))
    assert asked == ["ta"] and stored(paths) == {"ta": f"hash:6:{new.password}"} and not new.replaced
    assert new.lines() == [f"Password for the new admin ta: {new.password}  (shown only once: write it down)"]
    assert password_for_new_admin(COURSE, paths, "ta", lambda name: pytest.fail("asked again")) is None
    typed = password_for_new_admin(COURSE, paths, "ta2", lambda name: "typed-by-ta2")
    assert (typed.password, typed.lines()) == (None, [])  # typed: nothing to show
    assert stored(paths)["ta2"] == "hash:12:typed-by-ta2"
    github = merged({"auth": {"type": "github"}})
    assert password_for_new_admin(github, paths, "ta3", lambda name: pytest.fail("asked")) is None


@pytest.fixture
def installed(paths, monkeypatch, fake_bcrypt):
    """tljh-config and tljh-lite working on `paths` as the installed hub, as root."""
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(paths.prefix))
    monkeypatch.setattr("os.geteuid", lambda: 0)
    return paths


def test_tljh_config_add_item_users_admin_gives_the_new_admin_a_password_before_naming_her(installed, capsys):
    assert tljh_config(["add-item", "users.admin", "ta"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "added 'ta' to users.admin"
    assert out[1].startswith("Password for the new admin ta: ") and out[1].endswith("(shown only once: write it down)")
    password = out[1].split(": ")[1].split()[0]
    assert stored(installed) == {"ta": f"hash:6:{password}"}
    assert tljh_config(["add-item", "users.admin", "ta"]) == 0  # already an admin: nothing else happens
    assert "Password" not in capsys.readouterr().out
    assert tljh_config(["add-item", "users.allowed", "stud"]) == 0  # students set theirs at first login
    assert set(stored(installed)) == {"ta"}


def test_a_refused_admin_name_gets_no_password(installed, capsys):
    assert tljh_config(["add-item", "users.admin", "bad name"]) == 1
    assert stored(installed) == {}


def test_a_config_file_of_your_own_names_no_hubs_admin(installed, tmp_path, capsys):
    assert tljh_config(["--config-path", str(tmp_path / "mine.yaml"), "add-item", "users.admin", "ta"]) == 0
    assert "Password" not in capsys.readouterr().out and stored(installed) == {}


def test_tljh_lite_users_needs_an_installed_hub(installed, capsys):
    assert lite(["users", "list"]) == 1
    assert "no hub is installed under" in capsys.readouterr().err


# --- list ------------------------------------------------------------------------


def test_list_shows_roles_groups_and_who_has_a_password():
    config = merged({
        "users": {"admin": ["prof", "ta"], "allowed": ["alice", "bob"], "banned": ["eve"]},
        "groups": {"lab1": {"users": ["alice", "ta"]}, "tas": {"users": ["ta"]}},
    })
    rows = user_rows(config, known={"prof", "alice", "carl"}, with_password=lambda names: {"prof", "alice"} & set(names))
    assert table(rows).splitlines() == [
        "NAME   ROLE     GROUPS     PASSWORD",
        "prof   admin               set",
        "ta     admin    lab1, tas  NONE: give one with sudo tljh-lite users reset-password ta --generate",
        "alice  student  lab1       set",
        "bob    student             none yet: set at first login",
        "carl   dropped             none",
        "eve    banned              none",
    ]
    assert totals(rows) == "2 admins, 2 students, 1 dropped, 1 banned"
    assert {row.password for row in user_rows(config, (), None)} == {"-"}


@pytest.fixture
def hub_installed(installed):
    hub = installed.hub_venv / "bin" / "jupyterhub"
    hub.parent.mkdir(parents=True)
    hub.touch()
    installed.config_file.write_text("users:\n  admin: [prof]\n  allowed: [alice]\n")
    return installed


def test_every_bad_row_is_a_line_of_its_own_then_one_error_line(hub_installed, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("username,admin\nbob smith,\ncarl,perhaps\n")
    assert lite(["users", "import", str(roster)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "  row 2: 'bob smith' is not a username (no spaces, ',' or '/')",
        "  row 3: admin is 'perhaps'; write yes or no (or leave it empty)",
        "tljh-lite: error: roster.csv has 2 problems (above); fix the roster and import again; nothing was changed",
    ]


def test_a_dry_run_from_the_command_line(hub_installed, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("username,password\nalice,\nbob,*\n")
    assert lite(["users", "import", str(roster), "--dry-run", "--prune"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "+ bob: student, password: generated",
        "(1 password to generate: the import needs --passwords-out FILE)",
        "Dry run: 1 added, 0 updated, 1 unchanged, 0 removed; nothing was changed.",
    ]


def test_reset_password_reads_stdin_or_generates_and_shows_it_once(hub_installed, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("alices-new-password\n"))
    assert lite(["users", "reset-password", "Alice"]) == 0
    assert capsys.readouterr().out == "Password for alice changed.\n"
    assert stored(hub_installed) == {"alice": "hash:12:alices-new-password"}
    assert lite(["users", "reset-password", "alice", "--generate"]) == 0
    out = capsys.readouterr().out
    password = out.split(": ")[1].split()[0]
    assert out == f"New password for alice: {password}  (shown only once: write it down)\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert lite(["users", "reset-password", "alice"]) == 1
    assert capsys.readouterr().err == ("tljh-lite: error: no password on stdin; pipe one in, or use: "
                                       "sudo tljh-lite users reset-password alice --generate\n")
