"""Memory compression (tljh_lite/zram): on or off as zram.enabled says, never in a container, and what status shows."""

from __future__ import annotations

from pathlib import Path

from fakes import RecordingRunner
from tljh_lite.apt import Distro
from tljh_lite.config.defaults import merged
from tljh_lite.runner import Result
from tljh_lite.zram import setup
from tljh_lite.zram.state import line, zram_state, zram_swaps

DEBIAN = Distro("debian", "12")
FAILS = Result([], 1, "", "")
A_VM = {("systemd-detect-virt", "--container"): FAILS}  # not a container; modprobe finds zram (answers ok)


def systemctl(runner: RecordingRunner) -> list[list[str]]:
    return [c for c in runner.calls if c[0] == "systemctl"]


def test_on_a_vm_it_installs_the_generator_writes_its_drop_in_and_starts_the_swap(tmp_path):
    drop_in = tmp_path / "zram-generator.conf.d" / "50-tljh-lite.conf"
    runner = RecordingRunner(A_VM)
    said = setup.ensure_zram(runner, merged({}), DEBIAN, drop_in)
    assert said.startswith("zram: on")
    installs = [c for c in runner.calls if c[:1] == ["apt-get"] and "install" in c]
    assert installs and installs[-1][-1] == "systemd-zram-generator"
    text = drop_in.read_text()
    assert "[zram0]" in text and "zram-size = min(ram / 2, 4096)" in text and "compression-algorithm = zstd" in text
    # A new drop-in: the generator runs again, a device made with other settings is reset, then the swap starts.
    assert systemctl(runner) == [["systemctl", "daemon-reload"], ["systemctl", "stop", setup.SETUP_UNIT],
                                 ["systemctl", "start", setup.SWAP_UNIT]]
    runner.calls.clear()
    setup.ensure_zram(runner, merged({}), DEBIAN, drop_in)  # again: nothing to redo, the swap stays on
    assert systemctl(runner) == [["systemctl", "start", setup.SWAP_UNIT]]


def test_turned_off_the_same_drop_in_says_size_zero_and_the_swap_stops(tmp_path):
    drop_in = tmp_path / "50-tljh-lite.conf"
    setup.ensure_zram(RecordingRunner(A_VM), merged({}), DEBIAN, drop_in)
    runner = RecordingRunner({**A_VM, ("dpkg-query",): Result([], 0, "systemd-zram-generator ii\n", "")})
    said = setup.ensure_zram(runner, merged({"zram": {"enabled": False}}), DEBIAN, drop_in)
    assert said == "zram: off (zram.enabled is false)"
    assert "zram-size = 0" in drop_in.read_text()
    assert ["systemctl", "stop", setup.SETUP_UNIT] in runner.calls
    assert not any(c[:1] == ["apt-get"] for c in runner.calls)


def test_off_on_a_machine_that_never_had_it_touches_nothing(tmp_path):
    runner = RecordingRunner()
    assert setup.ensure_zram(runner, merged({"zram": {"enabled": False}}), DEBIAN, tmp_path / "x.conf").endswith("false)")
    assert [c[0] for c in runner.calls] == ["dpkg-query"] and not (tmp_path / "x.conf").exists()


def test_a_container_or_a_kernel_without_zram_is_said_and_left_alone(tmp_path):
    runner = RecordingRunner()  # systemd-detect-virt --container answers yes
    said = setup.ensure_zram(runner, merged({}), DEBIAN, tmp_path / "x.conf")
    assert said == "zram: not set up: this is a container, which shares its host's kernel and swap"
    assert not (tmp_path / "x.conf").exists() and systemctl(runner) == []
    no_module = RecordingRunner({**A_VM, ("modprobe",): FAILS})
    assert "no zram module" in setup.ensure_zram(no_module, merged({}), DEBIAN, tmp_path / "x.conf")


SWAPS = """Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/dev/zram0                              partition\t2097148\t\t0\t\t100
"""


def test_status_shows_what_the_device_holds_and_in_how_much(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "swaps").write_text(SWAPS)
    block = tmp_path / "block" / "zram0"
    block.mkdir(parents=True)
    (block / "disksize").write_text(str(2 * 1024**3))
    (block / "mm_stat").write_text(f"{300 * 2**20} {90 * 2**20} {96 * 2**20} 0 {96 * 2**20} 1200 0 0 0\n")
    (block / "comp_algorithm").write_text("lzo lzo-rle lz4 [zstd]\n")
    state = zram_state(tmp_path / "proc", tmp_path / "block")
    assert (state.device, state.algorithm, state.stored, state.compressed) == ("zram0", "zstd", 300 * 2**20, 96 * 2**20)
    assert line(state, True) == ("zram: on, 2.0 GiB of compressed swap (zstd), 300 MiB swapped out, held in 96 MiB "
                                 "(3.1:1)")
    assert zram_swaps("Filename Type Size Used Priority\n/swapfile file 1 0 -2\n") == []
    assert line(None, True, in_container=True) == "zram: off (not possible in a container)"
    assert line(None, False) == "zram: off (zram.enabled is false)"
    assert zram_state(tmp_path / "nowhere", tmp_path / "block") is None
