"""limits.disk on Debian's own kernels (12: 6.1, 13: 6.12), in a virtual machine (vm.py says why not a container).

The machine is a cloud VM with volumes: / on one disk, /home on an ext4 disk
of its own, /var/tmp on an XFS one, and the quota tools the installer
installs. tljh-lite's commands set the limits (`tljh-config set`, then what
`reload` does once the hub is back: quotas.apply, the code reload runs), and
students write with `dd` as their own accounts (jupyter-<name>), as their
kernels and terminals would: the kernel refuses a write past the limit with
"Disk quota exceeded".

Made to fit CI (an emulated CPU runs Python 10-25 times slower): the guest is
booted and set up once, when its image is built, and restored from there in
seconds (vm.py); each tljh-lite command that runs in it proves one thing (the
one-line warning of `tljh-config set`, reload's step setting every account's
limit, status, the spawner's step for a new account), the rest is shell. ext4
takes quotas at once, on both releases' kernels. XFS takes them only when it
mounts: on both, reload writes `uquota` to fstab and says a reboot is needed;
on Debian 13 the machine then restarts (systemd's soft-reboot: all of user
space, /home and /var/tmp unmounted and mounted again from fstab, the boot's
quota units run again), which shows ext4's quotas back at boot and XFS's
limits enforced. Debian 12's systemd has no soft-reboot, and a real boot costs
two minutes of emulated CPU under CI's load, so that part is Debian 13's.
(Measured: unmounting and mounting an XFS again by hand is not enough,
services started with a view of it of their own keep it mounted as it was.)
"""

from __future__ import annotations

import json
import shlex

import pytest

from installed import CHECKOUT
from tljh_lite.quotas import newaccount
from vm import DEPS_PYTHON, VirtualMachine

CODE = "/srv/tljh-lite"
SCRIPTS = {
    # The commands as the installer links them, running the checkout's code with tljh-lite's dependencies.
    "tljh-config": f"exec {DEPS_PYTHON} -m tljh_lite.cli.tljh_config \"$@\"",
    "tljh-lite": f"exec {DEPS_PYTHON} -m tljh_lite.cli.tljh_lite \"$@\"",
    "tljh-python": f"exec {DEPS_PYTHON} \"$@\"",
}
# What `tljh-config reload` does for disk limits once the hub answers with the new config (reload.py).
RELOAD_STEP = """
from tljh_lite.config.checker import load_config
from tljh_lite.quotas.apply import apply_disk_limits
from tljh_lite.runner import Runner
apply_disk_limits(load_config(), Runner(), say=print)
"""
ACCOUNTS = ["jupyter-alice", "jupyter-bob", "jupyter-carol"]
EXCEEDED = "Disk quota exceeded"


def dd(vm: VirtualMachine, account: str, path: str, mib: int) -> str:
    """`dd` as the student: what it says when it stops (its last line, or the error)."""
    result = vm.exec(f"dd if=/dev/zero of={path} bs=1M count={mib} conv=fsync 2>&1", user=account, check=False)
    lines = result.stdout.strip().splitlines()
    errors = [line for line in lines if line.startswith("dd: ")]
    return errors[0] if errors else lines[-1]


def reload_step(vm: VirtualMachine) -> str:
    return vm.exec(f"tljh-python -c '{RELOAD_STEP}'", timeout=900).stdout


def disk_status(vm: VirtualMachine) -> dict:
    return json.loads(vm.exec("tljh-lite status --json", check=False, timeout=600).stdout)["disk"]


def states(disk: dict) -> dict[str, tuple[str, str]]:
    return {f["point"]: (f["fstype"], f["state"]) for f in disk["filesystems"]}


# The machine as its image saves it (vm.py): the commands, /home on ext4 and /var/tmp on XFS as fstab
# mounts them, three students, and a group with more space, as `tljh-config set groups.big.limits.disk 100M`
# and `add-item groups.big.users carol` write it (tests/test_quotas.py covers those keys); the dependencies'
# modules read once, so the page cache the machine is saved with holds them.
SETUP = "\n".join([
    *(f"printf '#!/bin/sh\\nexport PYTHONPATH={CODE}\\n%s\\n' '{body}' > /usr/local/bin/{name} && "
      f"chmod 755 /usr/local/bin/{name}" for name, body in SCRIPTS.items()),
    "mkfs.ext4 -q -L home /dev/vdb && mkfs.xfs -q -f /dev/vdc",
    "echo '/dev/vdb /home ext4 defaults 0 2' >> /etc/fstab && echo '/dev/vdc /var/tmp xfs defaults 0 2' >> /etc/fstab",
    "mount /home && mount /var/tmp && chmod 1777 /var/tmp",
    "mkdir -p /opt/tljh/config /opt/tljh/state && chmod 700 /opt/tljh/config /opt/tljh/state",
    *(f"useradd --create-home {a}" for a in ACCOUNTS),
    "printf 'groups:\\n  big:\\n    users: [carol]\\n    limits:\\n      disk: 100M\\n' > /opt/tljh/config/config.yaml",
    f"{DEPS_PYTHON} -c 'import jsonschema, ruamel.yaml, requests, filelock, pluggy, cryptography'",
])


@pytest.fixture(scope="module")
def vm(session_containers, image, release):
    machine = VirtualMachine.restore(session_containers, image, release, "vm-quotas", {"vdb": "256M", "vdc": "320M"},
                                     SETUP)
    machine.copy_in(CHECKOUT / "tljh_lite", f"{CODE}/tljh_lite")
    yield machine
    machine.host.remove()


def test_the_kernel_is_debians_with_quota_support(vm, release):
    kernel = vm.exec("uname -r").stdout.strip()
    assert kernel.endswith("-amd64"), kernel
    assert {"bookworm": "6.1.", "trixie": "6.12."}[release] in kernel


def test_ext4_enforces_limits_set_with_tljh_config_without_a_reboot(vm):
    warned = vm.exec("tljh-config set limits.disk 50M").stderr.strip()
    # ext4 takes quotas at once: the one line is about the XFS disk, which needs a reboot.
    assert warned == ("warning: disk quotas: /var/tmp (xfs): XFS turns quotas on only when it mounts; reload adds "
                      "uquota to /etc/fstab, then a reboot is needed"), warned
    said = reload_step(vm)
    assert "Turning on disk quotas on /home (ext4)" in said, said
    assert "warning: disk quotas: /var/tmp (xfs): uquota is now in /etc/fstab" in said and \
        "reboot the machine, then run sudo tljh-config reload to set the limits" in said, said
    assert "usrjquota=aquota.user" in vm.exec("findmnt -n -o OPTIONS /home").stdout
    fstab = vm.exec("cat /etc/fstab").stdout
    assert "/dev/vdb /home ext4 defaults,usrjquota=aquota.user,jqfmt=vfsv1 0 2" in fstab
    assert "/dev/vdc /var/tmp xfs defaults,uquota 0 2" in fstab

    assert dd(vm, "jupyter-alice", "/home/jupyter-alice/big", 80) == \
        f"dd: error writing '/home/jupyter-alice/big': {EXCEEDED}"
    assert dd(vm, "jupyter-bob", "/home/jupyter-bob/twenty", 20).startswith("20971520 bytes")  # another works
    assert dd(vm, "jupyter-carol", "/home/jupyter-carol/eighty", 80).startswith("83886080 bytes")  # her group's 100M
    # What she sees in her terminal (quota exits 1 while she is over): her use and her limit.
    shown = vm.exec("quota -s", user="jupyter-alice", check=False).stdout
    assert "/dev/vdb" in shown and shown.count("51200K") >= 1, shown


def test_status_shows_each_students_use_against_her_limit_and_the_reboot_xfs_needs(vm):
    disk = disk_status(vm)
    assert states(disk)["/home"] == ("ext4", "on") and states(disk)["/var/tmp"] == ("xfs", "on after a reboot")
    use = {s["account"]: s for s in disk["students"]}
    assert use["jupyter-alice"]["limit"] == 50 * 2**20 and use["jupyter-alice"]["used"] >= 49 * 2**20
    assert use["jupyter-carol"]["limit"] == 100 * 2**20 and use["jupyter-bob"]["limit"] == 50 * 2**20
    assert disk["at_limit"] == ["jupyter-alice"]
    assert [p for p in disk["problems"] if "reboot the machine" in p] == disk["problems"] != []


def test_she_deletes_files_and_writes_again(vm):
    vm.exec("rm -f /home/jupyter-alice/big", user="jupyter-alice")
    assert dd(vm, "jupyter-alice", "/home/jupyter-alice/ten", 10).startswith("10485760 bytes")


def test_a_new_account_gets_its_limit_from_what_the_hub_runs(vm):
    vm.exec("useradd --create-home jupyter-dan")
    # The command the spawner runs for her (tests/test_quotas.py: when, and with what), run as it runs it.
    vm.exec(shlex.join(newaccount.command("/usr/local/bin/tljh-python", "jupyter-dan", "50M")))
    assert dd(vm, "jupyter-dan", "/home/jupyter-dan/big", 80).endswith(EXCEEDED)


def test_a_student_can_neither_raise_her_limit_nor_see_anyone_elses(vm):
    raised = vm.exec("setquota -u jupyter-alice 0 0 0 0 /home", user="jupyter-alice", check=False)
    assert raised.exit_code != 0 and "Operation not permitted" in raised.stdout + raised.stderr
    other = vm.exec("quota -u jupyter-bob", user="jupyter-alice", check=False)
    assert "51200" not in other.stdout and other.exit_code != 0
    assert vm.exec("stat -c '%U %a' /home/aquota.user").stdout.split() == ["root", "600"]
    assert vm.exec("repquota -u /home", user="jupyter-alice", check=False).exit_code != 0
    # Her number of files is limited too (one per KiB of her space): empty files cannot fill the table of files.
    row = next(line for line in vm.exec("repquota -u -O csv /home").stdout.splitlines() if line.startswith("jupyter-alice,"))
    assert row.split(",")[9] == "51200", row


@pytest.mark.releases("trixie")
def test_after_a_reboot_ext4_quotas_are_back_and_xfs_has_its_own(vm):
    vm.soft_reboot()
    assert "is on" in vm.exec("quotaon -p -u /home", check=False).stdout  # ext4: at boot, from fstab
    assert dd(vm, "jupyter-alice", "/home/jupyter-alice/big", 80).endswith(EXCEEDED)  # the limit, kept
    vm.exec("rm -f /home/jupyter-alice/big")
    assert "is on" in vm.exec("quotaon -p -u /var/tmp", check=False).stdout  # XFS: uquota, from fstab
    said = reload_step(vm)  # what the warning said to do: sets the limits on XFS
    assert "warning" not in said, said
    assert dd(vm, "jupyter-alice", "/var/tmp/alice-big", 80) == f"dd: error writing '/var/tmp/alice-big': {EXCEEDED}"
    assert dd(vm, "jupyter-carol", "/var/tmp/carol-eighty", 80).startswith("83886080 bytes")
