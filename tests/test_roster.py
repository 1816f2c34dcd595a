"""Reading a class roster: spreadsheet exports as they come, and every bad row named by its number."""

from __future__ import annotations

import codecs

import pytest

from tljh_lite.errors import TljhError
from tljh_lite.users.roster import GENERATE, Person, RosterError, parse_roster, read_roster


def people(text: str | bytes) -> list[Person]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(parse_roster(data, "roster.csv").people)


def problems(text: str | bytes) -> list[str]:
    with pytest.raises(RosterError) as caught:
        people(text)
    return caught.value.problems


# --- what spreadsheets write ------------------------------------------------------


def test_a_plain_roster_with_every_column():
    [alice, bob, carol] = people(
        "username,password,groups,admin\n"
        "alice,,lab1,\n"
        "bob,*,lab1;tas,no\n"
        "carol,her-own-pass,,yes\n"
    )
    assert alice == Person(2, "alice", None, ("lab1",), None)
    assert (bob.password, bob.generate, bob.groups, bob.admin) == (GENERATE, True, ("lab1", "tas"), False)
    assert (carol.password, carol.groups, carol.admin) == ("her-own-pass", (), True)


def test_an_excel_csv_utf8_export_with_bom_semicolons_crlf_and_quoted_groups():
    data = codecs.BOM_UTF8 + "Username;Password;Groups;Admin\r\nAlice;;\"lab1;tas\";Yes\r\n;;;\r\nBob;x-pass-123;;\r\n".encode()
    [alice, bob] = people(data)
    assert (alice.row, alice.username, alice.groups, alice.admin) == (2, "alice", ("lab1", "tas"), True)
    assert (bob.row, bob.password) == (4, "x-pass-123")  # the empty row 3 is skipped, but counted


def test_utf16_with_bom_and_tabs_as_unicode_text_exports_write():
    data = "username\tgroups\nJosé\tlab1, lab2\n".encode("utf-16")
    [jose] = people(data)
    assert (jose.username, jose.groups, jose.password, jose.admin) == ("josé", ("lab1", "lab2"), None, None)


def test_columns_in_any_order_and_only_username_needed():
    [alice] = people("admin,username\nno,alice\n")
    assert (alice.username, alice.admin, alice.groups, alice.password) == ("alice", False, None, None)
    [bob] = people("username\nbob\n")
    assert bob.groups is None and bob.admin is None  # no column: nothing to say about them


def test_cells_are_trimmed_and_empty_trailing_columns_ignored():
    [alice] = people("username , password,,\n  alice  , secret-pass ,,\n")
    assert (alice.username, alice.password) == ("alice", "secret-pass")


def test_leading_empty_rows_before_the_header_are_skipped_and_rows_keep_their_numbers():
    [alice] = people("\n,,\nusername\nalice\n")
    assert alice.row == 4


# --- bad rows: each named, and all of them at once ----------------------------------


@pytest.mark.parametrize("text, problem", [
    ("username\nbob smith\n", "row 2: 'bob smith' is not a username (no spaces, ',' or '/')"),
    ("username\na/b\n", "row 2: 'a/b' is not a username"),
    ("username,password\n,secret-pass\n", "row 2: no username"),
    ("username\nalice\nAlice\n", "row 3: 'alice' is already on row 2"),
    ("username,e-mail\nalice,a@x.org\n", "row 1: unknown column 'e-mail'; the columns are username, password, groups, admin"),
    ("username,group\nalice,lab1\n", "row 1: unknown column 'group' (did you mean groups?)"),
    ("username,username\nalice,alice\n", "row 1: the column 'username' is named twice"),
    ("password\nsecret-pass\n", "row 1: no 'username' column"),
    ("username,groups\nalice,lab 1/x\n", "row 2: the group '1/x' is not a group name"),
    ("username,groups\nalice,-lab\n", "row 2: the group '-lab' is not a group name"),
    ("username,admin\nalice,maybe\n", "row 2: admin is 'maybe'; write yes or no (or leave it empty)"),
    ("username\nalice,extra\n", "row 2: a value in column 2, which the first row does not name"),
])
def test_each_bad_row_is_one_line_naming_its_row(text, problem):
    [found] = problems(text)
    assert found.startswith(problem)


def test_a_header_without_username_says_both_what_is_unknown_and_what_is_missing():
    assert problems("name,password\nalice,x\n") == [
        "row 1: unknown column 'name' (did you mean username?); the columns are username, password, groups, admin",
        "row 1: no 'username' column; the first row names the columns, like username,password,groups,admin",
    ]


def test_every_problem_is_reported_at_once():
    found = problems("username,admin\nbob smith,no\nalice,perhaps\ncarol,\ncarol,yes\n")
    assert found == [
        "row 2: 'bob smith' is not a username (no spaces, ',' or '/')",
        "row 3: admin is 'perhaps'; write yes or no (or leave it empty)",
        "row 5: 'carol' is already on row 4",
    ]
    with pytest.raises(RosterError) as caught:
        people("username,admin\nbob smith,no\nalice,perhaps\n")
    assert caught.value.message == "roster.csv has 2 problems (above)"
    assert caught.value.hint == "fix the roster and import again; nothing was changed"


def test_one_problem_is_the_error_line_itself():
    with pytest.raises(RosterError) as caught:
        people("username\nbob smith\n")
    assert caught.value.one_line() == (
        "roster.csv row 2: 'bob smith' is not a username (no spaces, ',' or '/'); "
        "fix the roster and import again; nothing was changed"
    )


def test_an_empty_file_says_what_the_first_row_is_for():
    for text in ("", "\n\n", ",,\n"):
        [found] = problems(text)
        assert found.startswith("is empty: its first row names the columns")


def test_a_file_that_is_not_utf8_names_the_row_and_how_to_export():
    data = "username\nalice\njos\u00e9\n".encode("cp1252")
    with pytest.raises(TljhError) as caught:
        people(data)
    assert caught.value.message == "roster.csv row 3: not UTF-8 text (byte 19)"
    assert "save it from the spreadsheet as 'CSV UTF-8'" in caught.value.hint


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(TljhError, match=r"cannot read the roster .*nope.csv: No such file"):
        read_roster(tmp_path / "nope.csv")


def test_a_password_never_shows_in_a_persons_repr():
    [alice] = people("username,password\nalice,very-secret\n")
    assert "very-secret" not in repr(alice)
