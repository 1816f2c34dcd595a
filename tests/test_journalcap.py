"""The system journal capped at half of root's reserve where it shares a disk with the hub's state (journalcap)."""

from __future__ import annotations

from pathlib import Path

from fakes import RecordingRunner
from tljh_lite import journalcap
from tljh_lite.journalcap import MIB, Disk, cap_for, ensure_journal_cap

GIB = 1 << 30
# A 50 GB ext4 with 5 % (2.5 GB) kept for root, 20 GB free.
ONE_DISK = Disk(device=1, free_to_root=int(22.5 * GIB), free_to_others=20 * GIB)


def test_the_cap_is_half_the_reserve_in_whole_mib():
    assert cap_for(ONE_DISK, ONE_DISK) == int(1.25 * GIB) // MIB * MIB


def test_no_cap_of_ours_on_another_disk_than_the_hubs_state_or_one_with_no_reserve():
    elsewhere = Disk(device=2, free_to_root=GIB, free_to_others=GIB // 2)
    assert cap_for(elsewhere, ONE_DISK) is None
    xfs = Disk(device=1, free_to_root=GIB, free_to_others=GIB)
    assert cap_for(xfs, xfs) is None


def test_the_cap_stays_within_journalds_own_ceiling():
    huge = Disk(device=1, free_to_root=100 * GIB, free_to_others=50 * GIB)
    assert cap_for(huge, huge) == journalcap.JOURNALD_DEFAULT_MAX
    small = Disk(device=1, free_to_root=12 * MIB, free_to_others=2 * MIB)  # a 200 MB disk's 10 MB reserve
    assert cap_for(small, small) == 5 * MIB


def setup(tmp_path: Path, disk: Disk):
    journal, state = tmp_path / "journal", tmp_path / "state"
    journal.mkdir(), state.mkdir()
    drop_in = tmp_path / "journald.conf.d" / "50-tljh-lite.conf"
    return dict(state_dir=state, drop_in=drop_in, journal_dir=journal, measure=lambda path: disk), drop_in


def test_the_drop_in_is_written_once_and_journald_restarted_only_when_it_changed(tmp_path):
    where, drop_in = setup(tmp_path, ONE_DISK)
    runner = RecordingRunner()
    said = ensure_journal_cap(runner, **where)
    assert said == "system journal: at most 1280 MiB from now on (half of what its filesystem keeps for root)"
    assert "[Journal]\nSystemMaxUse=1280M\n" in drop_in.read_text()
    assert runner.calls == [["systemctl", "restart", "systemd-journald"]]
    runner.calls.clear()
    assert ensure_journal_cap(runner, **where) is None and runner.calls == []


def test_a_disk_full_to_the_students_last_block_keeps_the_drop_in_as_it_is(tmp_path):
    where, drop_in = setup(tmp_path, ONE_DISK)
    ensure_journal_cap(RecordingRunner(), **where)
    before = drop_in.read_text()
    full = Disk(device=1, free_to_root=GIB, free_to_others=0)  # free_to_root - free_to_others is not the reserve now
    runner = RecordingRunner()
    assert ensure_journal_cap(runner, **{**where, "measure": lambda path: full}) is None
    assert drop_in.read_text() == before and runner.calls == []


def test_the_drop_in_goes_when_the_hubs_state_moves_to_another_disk(tmp_path):
    where, drop_in = setup(tmp_path, ONE_DISK)
    ensure_journal_cap(RecordingRunner(), **where)
    disks = {where["journal_dir"]: ONE_DISK, where["state_dir"]: Disk(device=2, free_to_root=GIB, free_to_others=GIB)}
    runner = RecordingRunner()
    said = ensure_journal_cap(runner, **{**where, "measure": disks.__getitem__})
    assert said.startswith("system journal: journald's own cap again") and not drop_in.exists()
    assert runner.calls == [["systemctl", "restart", "systemd-journald"]]


def test_a_journal_kept_in_memory_only_is_left_alone(tmp_path):
    where, drop_in = setup(tmp_path, ONE_DISK)
    runner = RecordingRunner()
    assert ensure_journal_cap(runner, **{**where, "journal_dir": tmp_path / "none"}) is None
    assert not drop_in.exists() and runner.calls == []
