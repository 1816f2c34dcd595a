"""Accounts made before accounts recorded their hub user (TLJH, tljh-lite 0.3) are recorded once, at the
install, for the one hub user they can be; ambiguity is left to an admin, loudly."""

from __future__ import annotations

from fakes import RecordingRunner
from tljh_lite.paths import Paths
from tljh_lite.unixname import record_of, tljh_account_name
from tljh_lite.users.adoption import MARKER, adopt_accounts, plan_adoption

LONG = "professor.mueller.longname"


def colliding_pair() -> tuple[str, str]:
    """Two long names the old rule gives one account (found in milliseconds: 20 bits)."""
    seen: dict[str, str] = {}
    for i in range(1 << 16):
        name = f"student.with.a.long.name.{i}"
        account = tljh_account_name(name)
        if account in seen:
            return seen[account], name
        seen[account] = name
    raise AssertionError("no collision among 65,536 names")


def test_each_old_account_is_recorded_for_the_one_hub_user_it_can_be():
    accounts = [("jupyter-alice", ""), (tljh_account_name(LONG), ""), ("jupyter-bob", record_of("bob")),
                ("root", ""), ("jupyter-orphan", "")]
    plan = plan_adoption(accounts, ["alice", LONG, "bob", "carol"])
    assert plan.adopt == {"jupyter-alice": "alice", tljh_account_name(LONG): LONG}  # bob's is recorded already
    assert plan.ambiguous == {} and plan.warnings() == []


def test_an_account_two_hub_users_could_have_is_recorded_for_neither_and_the_install_says_so():
    first, second = colliding_pair()
    account = tljh_account_name(first)
    plan = plan_adoption([(account, "")], [first, second])
    assert plan.adopt == {} and plan.ambiguous == {account: sorted([first, second])}
    [warning] = plan.warnings()
    assert warning.startswith(f"Warning: the unix account {account} could be ")
    assert f"sudo usermod --comment '{record_of(sorted([first, second])[0])}' {account}" in warning


def test_adoption_runs_once_per_machine(tmp_path):
    paths = Paths(tmp_path)
    paths.state_dir.mkdir()
    runner = RecordingRunner()
    accounts = lambda: [("jupyter-alice", "")]  # noqa: E731
    assert adopt_accounts(paths, runner, ["alice"], accounts) == []
    assert runner.calls == [["usermod", "--comment", "JupyterHub user alice", "jupyter-alice"]]
    assert (paths.state_dir / MARKER).stat().st_mode & 0o777 == 0o600
    adopt_accounts(paths, runner, ["alice"], lambda: [("jupyter-alice", ""), (tljh_account_name(LONG), "")])
    assert len(runner.calls) == 1  # a newcomer whose name leads to an unrecorded account never gets it later
