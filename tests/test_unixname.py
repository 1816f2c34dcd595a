"""The unix account of each hub user: TLJH's short names, long names no one can share, and the record of
whose account it is."""

import pytest

from fakes import RecordingRunner
from tljh_lite.users.accounts import AccountOfAnother, claim_account
from tljh_lite.unixname import (
    new_account_name,
    record_of,
    recorded_user,
    tljh_account_name,
    unix_username,
)


def no_accounts(account):
    return None


def test_short_names_get_the_prefix():
    assert unix_username("alice", no_accounts) == "jupyter-alice"
    assert unix_username("abcdefghijklmnopq", no_accounts) == "jupyter-abcdefghijklmnopq"  # 25: TLJH keeps it whole


def test_the_old_rule_is_tljhs():
    # Expected values are TLJH's own: accounts made by TLJH (and tljh-lite up to 0.3) are found by it.
    assert tljh_account_name("abcdefghijklmnopqr") == "jupyter-abcdefghijklmnopqr-e375e"
    assert (
        tljh_account_name("aelie9sohjeequ9iemeipuimuoshahz4aitugiuteeg4ohioh5yuiha6aei7te5z")
        == "jupyter-aelie9sohjeequ9iem-4b726"
    )


def test_new_long_names_keep_32_characters_with_an_80_bit_hash():
    name = new_account_name("professor.mueller@college.example.edu")
    assert len(name) == 32 and name.startswith("jupyter-profess-")
    suffix = name.rsplit("-", 1)[1]
    assert len(suffix) == 16 and set(suffix) <= set("abcdefghijklmnopqrstuvwxyz234567")  # base32: 80 bits
    assert new_account_name("abcdefghijklmnopq") == "jupyter-abcdefghijklmnopq"  # short: TLJH's rule


def test_many_long_names_sharing_their_first_characters_never_share_an_account():
    # The review's attack, as a birthday search: with 20 bits, 4,096 names that differ only after the
    # part that is kept share an account somewhere (p > 0.999); with 80 bits, never in practice.
    names = [f"professor.mueller-{i:05d}" for i in range(4096)]
    assert len({tljh_account_name(name) for name in names}) < len(names)  # the old rule: found at once
    assert len({unix_username(name, no_accounts) for name in names}) == len(names)


def test_the_two_rules_and_short_names_never_give_the_same_account():
    for name in ("abcdefghijklmnopqr", "abcdefg-mfrggzdfmztwq2lk", "x" * 40):
        old, new = tljh_account_name(name), new_account_name(name)
        assert old != new and old[26] == "-" and new[15] == "-" and new[26] != "-"
        assert len(old) == len(new) == 32  # a short name's account is shorter than 26


@pytest.mark.parametrize("hub_name", ["carol", "prof.mueller@uni.example", "a:b=c%d", "élodie"])
def test_the_record_names_the_hub_user_whatever_her_name_holds(hub_name):
    comment = record_of(hub_name)
    assert ":" not in comment and "\n" not in comment and "," not in comment  # what GECOS cannot hold
    assert recorded_user(comment) == hub_name
    assert recorded_user("") is None and recorded_user("Alice Smith,,,") is None


def test_a_long_name_keeps_the_old_account_only_if_it_is_hers_or_unrecorded():
    name = "professor.mueller.longname"
    old = tljh_account_name(name)

    def comments(**by_account):
        return lambda account: by_account.get(account)

    assert unix_username(name, comments()) == new_account_name(name)  # no old account: the new rule
    assert unix_username(name, comments(**{old: record_of(name)})) == old  # adopted: hers, kept
    assert unix_username(name, comments(**{old: ""})) == old  # unrecorded: the spawn refuses it
    assert unix_username(name, comments(**{old: record_of("someone.else.with.a.long.name")})) == new_account_name(name)


# --- a server starts only on its own hub user's account (users.accounts.claim_account) ------------------


def test_a_spawn_onto_an_account_recorded_for_another_hub_user_is_refused_in_one_line():
    runner = RecordingRunner()
    with pytest.raises(AccountOfAnother) as refused:
        claim_account(runner, "carol", lambda account: record_of("mallory") if account == "jupyter-carol" else None)
    assert refused.value.owner == "mallory" and runner.calls == []
    assert str(refused.value) == ("the unix account jupyter-carol is recorded for another hub user, so this server "
                                  "cannot start on it; ask an admin: the hub's log says whose account it is "
                                  "(sudo journalctl -u jupyterhub)")
    assert "mallory" not in str(refused.value)  # the spawn page shows it to carol


def test_an_unrecorded_long_account_is_refused_and_a_short_one_is_recorded_for_its_only_possible_owner():
    long_name = "professor.mueller.longname"
    runner = RecordingRunner()
    with pytest.raises(AccountOfAnother):
        claim_account(runner, long_name, lambda account: "" if account == tljh_account_name(long_name) else None)
    assert runner.calls == []
    assert claim_account(runner, "alice", lambda account: "") == ("jupyter-alice", False)
    assert runner.calls == [["usermod", "--comment", "JupyterHub user alice", "jupyter-alice"]]


def test_her_own_account_is_hers():
    runner = RecordingRunner()
    assert claim_account(runner, "alice", lambda account: record_of("alice")) == ("jupyter-alice", False)
    assert runner.calls == []
