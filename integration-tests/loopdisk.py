"""A disk of its own inside a test container: an ext4 image attached as a loop device.

The container gets /dev/loop-control and the right to use loop devices
(`Container.start(loop_devices=True)`), but not their nodes: docker gives it
a /dev of its own, and the kernel may hand out any loop number. So the nodes
are made first (mknod), and `mount -o loop` attaches the image with the
autoclear flag: when the container goes, its mounts go, and so does the loop
device. The host's kernel is the container's: on this project's machines it
has no quota support, which integration-tests/test_disk_quotas_vm.py covers
with Debian's own kernels.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from containers import Container

LOOP_NODES = 64  # the kernel adds loop devices on demand; other tests' may hold the first ones


def mount_image(container: Container, image: str, point: str, size: str, *, reserved_percent: int = 5) -> None:
    """A new ext4 filesystem of `size` (like 200M) in the file `image`, mounted on `point`.
    `reserved_percent`: the blocks only root may use (mkfs.ext4's default: 5). The filesystem is
    made on the host (Debian 13's minimal image has no mkfs.ext4), then copied in."""
    with tempfile.TemporaryDirectory() as tmp:
        made = Path(tmp) / PurePosixPath(image).name
        subprocess.run(["truncate", "-s", size, str(made)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-m", str(reserved_percent), str(made)], check=True)
        container.copy_in(made, image)
    container.exec(
        f"for n in $(seq 0 {LOOP_NODES - 1}); do [ -e /dev/loop$n ] || mknod -m 660 /dev/loop$n b 7 $n; done; "
        f"mkdir -p {point} && mount -o loop {image} {point}")


def bind(container: Container, source: str, target: str) -> None:
    """`source` (made if missing) seen at `target` as well (made if missing)."""
    container.exec(f"mkdir -p {source} {target} && mount --bind {source} {target}")
