"""What zram is doing now, for `tljh-lite status`: from /proc/swaps and the device's mm_stat (no commands run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ZramState:
    device: str  # zram0
    disksize: int  # bytes of swap it offers
    stored: int  # bytes of pages swapped out to it
    compressed: int  # bytes of memory those take (zram's pool, its own overhead included)
    algorithm: str

    @property
    def ratio(self) -> float | None:
        return self.stored / self.compressed if self.compressed else None


def zram_swaps(proc_swaps: str) -> list[str]:
    """The zram devices in use as swap, from the text of /proc/swaps."""
    return [line.split()[0].rsplit("/", 1)[-1] for line in proc_swaps.splitlines()[1:]
            if line.split() and "/zram" in line.split()[0]]


def zram_state(proc: Path = Path("/proc"), sys_block: Path = Path("/sys/block")) -> ZramState | None:
    """The first zram swap device, or None when there is none."""
    try:
        devices = zram_swaps((proc / "swaps").read_text())
    except OSError:
        return None
    if not devices:
        return None
    block = sys_block / devices[0]
    try:
        disksize = int((block / "disksize").read_text())
        # Documentation/admin-guide/blockdev/zram.rst, mm_stat: orig_data_size compr_data_size mem_used_total ...
        orig, _compr, used = (int(v) for v in (block / "mm_stat").read_text().split()[:3])
        chosen = (block / "comp_algorithm").read_text()
    except (OSError, ValueError):
        return None
    algorithm = chosen[chosen.index("[") + 1:chosen.index("]")] if "[" in chosen else chosen.strip()
    return ZramState(devices[0], disksize, orig, used, algorithm)


def line(state: ZramState | None, enabled: bool, in_container: bool = False) -> str:
    """The status line."""
    if state is None:
        if not enabled:
            return "zram: off (zram.enabled is false)"
        return "zram: off (not possible in a container)" if in_container else "zram: off (sudo tljh-config reload sets it up)"
    gib, mib = 1024 ** 3, 1024 ** 2
    held = (f"{state.stored / mib:.0f} MiB swapped out, held in {state.compressed / mib:.0f} MiB"
            + (f" ({state.ratio:.1f}:1)" if state.ratio else ""))
    return f"zram: on, {state.disksize / gib:.1f} GiB of compressed swap ({state.algorithm}), {held}"
