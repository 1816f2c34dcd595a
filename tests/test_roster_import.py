"""Importing a roster: what it changes (pure planning), config.yaml kept as written, passwords
set once and shown only in --passwords-out, nothing written when anything is wrong."""

from __future__ import annotations

import copy
import csv
import stat

import pytest

from tljh_lite.config import yaml
from tljh_lite.config.defaults import merged
from tljh_lite.errors import TljhError
from tljh_lite.paths import Paths
from fakes import stored
from tljh_lite.users import passwords
from tljh_lite.users.importer import ImportOptions, import_roster
from tljh_lite.users.plan import GENERATE, GIVEN, plan_import
from tljh_lite.users.roster import RosterError, parse_roster

HAND_EDITED = """\
# Hub for DATA 101 (edited by hand)
users:
  admin:
  - prof  # the instructor
  allowed:
  - Alice  # written with a capital by hand
  - zoe
  banned:
  - mallory
limits:
  memory: 1G  # enough for pandas
groups:
  tas:
    users: [zoe]
    limits:
      memory: 2G  # grading needs more
"""


def roster(text: str):
    return parse_roster(text.encode(), "roster.csv")


def config_of(text: str = HAND_EDITED) -> dict:
    return merged(yaml.loads(text))


def plan(text: str, config: dict | None = None, **kwargs):
    kwargs.setdefault("password_problem", lambda pw: "shorter than 7 characters" if len(pw) < 7 else None)
    kwargs.setdefault("running_admins", {"prof"})  # the hub runs with HAND_EDITED's admins
    return plan_import(config or config_of(), roster(text), **kwargs)


# --- planning ---------------------------------------------------------------------


def test_new_people_become_students_or_admins_and_join_their_groups():
    p = plan("username,password,groups,admin\nbob,,lab1,\ncarl,*,,\nta1,,tas;lab1,yes\n")
    assert p.lines() == [
        "+ bob: student, groups: lab1",
        "+ carl: student, password: generated",
        "+ ta1: admin, groups: tas, lab1, password: generated",  # an admin is never left to a first login
    ]
    new = yaml.dumps(p.apply(yaml.loads(HAND_EDITED)))
    assert "  allowed:\n  - Alice  # written with a capital by hand\n  - zoe\n  - bob\n  - carl\n" in new
    assert "  admin:\n  - prof  # the instructor\n  - ta1\n" in new
    assert "    users: [zoe, ta1]\n" in new and "  lab1:\n    users:\n    - bob\n    - ta1\n" in new


def test_applying_keeps_every_comment_and_key_the_import_does_not_own_and_mutates_nothing():
    original = yaml.loads(HAND_EDITED)
    before = copy.deepcopy(original)
    p = plan("username\nbob\n")
    new = yaml.dumps(p.apply(original))
    assert original == before and yaml.dumps(original) == HAND_EDITED
    assert new == HAND_EDITED.replace("  - zoe\n  banned:", "  - zoe\n  - bob\n  banned:")


def test_people_already_there_in_any_case_are_unchanged_and_the_file_is_returned_as_it_is():
    original = yaml.loads(HAND_EDITED)
    p = plan("username,groups\nalice,\nZOE,tas\nprof,\n", with_password={"alice", "zoe", "prof"})
    assert p.lines() == [] and p.count("unchanged") == 3
    assert p.apply(original) is original  # ConfigFile.update then writes nothing


def test_admin_yes_promotes_no_demotes_and_empty_keeps_the_role():
    p = plan("username,admin\nzoe,yes\nprof,no\nalice,\n", with_password={"zoe", "prof", "alice"}, trusted={"zoe"})
    assert p.lines() == ["~ zoe: now an admin", "~ prof: now a student"]
    new = p.apply(yaml.loads(HAND_EDITED))
    assert list(new["users"]["admin"]) == ["zoe"]
    assert list(new["users"]["allowed"]) == ["Alice", "zoe", "prof"]


def test_a_groups_column_sets_exactly_the_listed_groups_and_no_column_leaves_them():
    p = plan("username,groups\nzoe,lab1\n", with_password={"zoe"})
    assert p.lines() == ["~ zoe: groups: lab1 (were: tas)"]
    new = p.apply(yaml.loads(HAND_EDITED))
    assert list(new["groups"]["tas"]["users"]) == [] and list(new["groups"]["lab1"]["users"]) == ["zoe"]
    assert new["groups"]["tas"]["limits"]["memory"] == "2G"  # the group and its limits stay
    assert plan("username\nzoe\n", with_password={"zoe"}).lines() == []


def test_prune_removes_students_not_in_the_roster_and_their_groups_but_never_admins():
    p = plan("username\nbob\n", prune=True)
    assert p.lines() == [
        "+ bob: student",
        "- alice: removed from users.allowed (home kept)",
        "- zoe: removed from users.allowed and her groups (home kept)",
    ]
    assert (p.count("added"), p.count("removed")) == (1, 2)
    new = p.apply(yaml.loads(HAND_EDITED))
    assert list(new["users"]["allowed"]) == ["bob"] and list(new["users"]["admin"]) == ["prof"]
    assert list(new["groups"]["tas"]["users"]) == []
    assert list(new["users"]["banned"]) == ["mallory"]  # banned stays banned


def test_passwords_given_generated_or_left_to_the_first_login():
    p = plan("username,password,admin\nbob,bobs-password,\ncarl,*,\nzoe,*,\ndan,,\nprof,,\n", with_password={"zoe", "prof"})
    assert {name: c.password for name, c in p.passwords.items()} == {"bob": GIVEN, "carl": GENERATE}
    # zoe has one already: `*` does not replace it (importing twice changes nothing); dan sets his at
    # first login; prof, an admin, has one


def test_a_password_the_authenticator_refuses_is_a_row_problem():
    with pytest.raises(RosterError) as caught:
        plan("username,password\nbob,short\ncarl,long-enough\ndan,tiny\n")
    assert caught.value.problems == [
        "row 2: the password for bob is shorter than 7 characters",
        "row 4: the password for dan is shorter than 7 characters",
    ]


def test_with_an_authenticator_that_keeps_passwords_elsewhere_the_roster_gives_none():
    config = config_of("auth:\n  type: github\n")
    with pytest.raises(RosterError) as caught:
        plan("username,password,admin\nbob,,\ncarl,*,\nta,x-password,yes\n", config, password_problem=None)
    assert caught.value.problems[0].startswith("rows 3, 4: auth.type is github, which keeps passwords elsewhere")
    p = plan("username,admin\nbob,\nta,yes\n", config, password_problem=None)
    assert p.passwords == {}  # the admin logs in through GitHub


def test_an_empty_roster_is_refused_whatever_prune_says():
    with pytest.raises(RosterError, match="has no one in it"):
        plan("username,password\n", prune=True)


def test_a_banned_student_in_the_roster_is_warned_about():
    assert plan("username\nmallory\n").warnings == ["mallory is in users.banned: still locked out"]


# --- the import, with a fake bcrypt ----------------------------------------------


@pytest.fixture
def fake_bcrypt(monkeypatch):
    hashed = []

    def fake_hash(new):
        hashed.append(new)
        return f"hash:{new.rounds}:{new.password}".encode()

    monkeypatch.setattr(passwords, "bcrypt_hash", fake_hash)
    monkeypatch.setattr(passwords, "bcrypt_matches", lambda pair: pair[1].decode().endswith(":" + pair[0]))
    return hashed


@pytest.fixture
def hub(tmp_path, checker):
    paths = Paths(tmp_path / "tljh")
    paths.config_dir.mkdir(parents=True)
    paths.state_dir.mkdir()
    paths.config_file.write_text(HAND_EDITED)
    reloads, said = [], []

    def run(text: str, **options):
        path = tmp_path / "roster.csv"
        path.write_text(text)
        summary = import_roster(paths, checker, ImportOptions(path, **options), reload=lambda: reloads.append(1),
                                say=said.append)
        said.append(summary)
        return summary

    run.paths, run.reloads, run.said, run.tmp = paths, reloads, said, tmp_path
    return run


ROSTER = "username,password,groups,admin\nbob,bobs-password,lab1,\ncarl,*,,\ndan,,,\nta1,,tas,yes\n"


def test_an_import_sets_passwords_writes_the_generated_ones_privately_and_reloads_once(hub, fake_bcrypt):
    out = hub.tmp / "passwords.csv"
    summary = hub(ROSTER, passwords_out=out)
    assert summary == ("Roster imported: 4 added, 0 updated, 0 unchanged, 0 removed; 3 passwords set "
                       f"(2 generated, in {out}); the hub is running with the new config.")
    assert hub.reloads == [1]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    generated = dict(list(csv.reader(out.open()))[1:])
    assert sorted(generated) == ["carl", "ta1"] and all(len(pw) == 16 for pw in generated.values())
    assert stored(hub.paths) == {
        "bob": "hash:12:bobs-password",  # chosen by a person: FirstUse's own cost
        "carl": f"hash:6:{generated['carl']}", "ta1": f"hash:6:{generated['ta1']}",  # 96 random bits: cheap
    }
    text = hub.paths.config_file.read_text()
    assert "# Hub for DATA 101 (edited by hand)\n" in text and "memory: 2G  # grading needs more" in text
    assert "  - bob\n  - carl\n  - dan\n" in text and "  - ta1\n" in text
    for password in generated.values():  # nowhere but the file
        assert not any(password in line for line in hub.said)


def test_importing_the_same_file_again_changes_nothing(hub, fake_bcrypt):
    hub(ROSTER, passwords_out=hub.tmp / "first.csv")
    config, passwords_before = hub.paths.config_file.read_text(), stored(hub.paths)
    summary = hub(ROSTER, passwords_out=hub.tmp / "second.csv")
    assert summary == ("Roster imported: 0 added, 0 updated, 4 unchanged, 0 removed; 0 passwords set; "
                       "nothing to reload.")
    assert hub.reloads == [1] and not (hub.tmp / "second.csv").exists()
    assert hub.paths.config_file.read_text() == config and stored(hub.paths) == passwords_before


def test_a_dry_run_prints_the_changes_and_writes_nothing(hub, fake_bcrypt):
    summary = hub(ROSTER + "zoe,,lab1,\n", dry_run=True, prune=True)
    assert summary.splitlines() == [
        "+ bob: student, groups: lab1, password: from the roster",
        "+ carl: student, password: generated",
        "+ dan: student",
        "+ ta1: admin, groups: tas, password: generated",
        "~ zoe: groups: lab1 (were: tas)",
        "- alice: removed from users.allowed (home kept)",
        "(2 passwords to generate: the import needs --passwords-out FILE)",
        "Dry run: 4 added, 1 updated, 0 unchanged, 1 removed; nothing was changed.",
    ]
    assert hub.paths.config_file.read_text() == HAND_EDITED and stored(hub.paths) == {} and hub.reloads == []
    assert fake_bcrypt == []


@pytest.mark.parametrize("text", [
    ROSTER + "bad name,,,\n",  # a bad row
    ROSTER.replace("bobs-password", "short"),  # a password FirstUse refuses
])
def test_nothing_is_written_when_any_row_is_bad(hub, fake_bcrypt, text):
    with pytest.raises(RosterError):
        hub(text, passwords_out=hub.tmp / "out.csv")
    assert hub.paths.config_file.read_text() == HAND_EDITED and stored(hub.paths) == {}
    assert not (hub.tmp / "out.csv").exists() and hub.reloads == [] and fake_bcrypt == []


def test_generated_passwords_need_a_new_passwords_out_file(hub, fake_bcrypt):
    with pytest.raises(TljhError, match=r"asks for 2 generated passwords \(carl, ta1\); add --passwords-out FILE"):
        hub(ROSTER)
    earlier = hub.tmp / "earlier.csv"
    earlier.write_text("username,password\nsomeone,from-last-week\n")
    with pytest.raises(TljhError, match=r"earlier.csv exists; generated passwords are never written over a file"):
        hub(ROSTER, passwords_out=earlier)
    assert earlier.read_text() == "username,password\nsomeone,from-last-week\n"
    with pytest.raises(TljhError, match="the folder .*nowhere does not exist"):
        hub(ROSTER, passwords_out=hub.tmp / "nowhere" / "out.csv")
    assert hub.paths.config_file.read_text() == HAND_EDITED and stored(hub.paths) == {}


def test_when_storing_fails_the_passwords_file_goes_too_and_config_is_untouched(hub, monkeypatch):
    def broken(new):
        raise TljhError("cannot write passwords.dbm", "try again")

    monkeypatch.setattr(passwords, "bcrypt_hash", broken)
    out = hub.tmp / "out.csv"
    with pytest.raises(TljhError, match="cannot write passwords.dbm"):
        hub(ROSTER, passwords_out=out)
    assert not out.exists() and hub.paths.config_file.read_text() == HAND_EDITED and hub.reloads == []


def test_a_given_password_replaces_another_and_is_set_once(hub, fake_bcrypt):
    hub("username,password\nbob,first-password\n")
    hub("username,password\nbob,second-password\n")
    assert stored(hub.paths)["bob"] == "hash:12:second-password"
    assert hub("username,password\nbob,second-password\n").startswith("Roster imported: 0 added, 0 updated, 1 unchanged")


def test_a_config_with_a_problem_is_not_built_on(hub, fake_bcrypt):
    hub.paths.config_file.write_text("limits:\n  memory: lots\n")
    with pytest.raises(TljhError, match="limits.memory must be a memory size"):
        hub("username\nbob\n")


def test_no_generated_password_starts_like_a_spreadsheet_formula(hub, fake_bcrypt, monkeypatch):
    # The review: token_urlsafe starts with '-' once in 64, and --passwords-out is opened in a spreadsheet,
    # which takes a cell starting with = + - @ for a formula.
    made = iter(["-9sIbw2h5YbI0sQq", "=not-urlsafe-but", "Plain-and-safe16"])
    monkeypatch.setattr(passwords.secrets, "token_urlsafe", lambda n: next(made))
    out = hub.tmp / "passwords.csv"
    hub("username,password\ncarl,*\n", passwords_out=out)
    assert list(csv.reader(out.open())) == [["username", "password"], ["carl", "Plain-and-safe16"]]


def test_generated_passwords_never_start_with_a_formula_character_here_or_in_bootstrap():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bootstrap_for_passwords", Path(__file__).resolve().parent.parent / "installer" / "bootstrap.py")
    bootstrap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bootstrap)
    assert bootstrap.FORMULA_STARTS == passwords.FORMULA_STARTS == "=+-@"
    for generate in (passwords.generate_password, bootstrap.generate_password):
        made = [generate() for _ in range(20000)]  # ~312 would start with '-' without the rule
        assert not [pw for pw in made if pw[0] in "=+-@"] and {len(pw) for pw in made} == {16}
