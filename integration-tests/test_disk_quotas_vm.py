"""limits.disk on Debian's own kernels (12: 6.1, 13: 6.12), in a virtual machine (vm.py says why not a container).

The machine is a cloud VM in small: / on one disk, /home on a disk of its
own (ext4), the quota tools the installer installs. tljh-lite's commands
set the limits (`tljh-config set`, then what `reload` does once the hub is
back: quotas.apply, the code the hub's reload runs), and students write with
`dd` as their own accounts (jupyter-<name>), as their kernels and terminals
would: the kernel refuses a write past the limit with "Disk quota exceeded".
Then the machine reboots, and /home moves to XFS, which takes quotas only when it
mounts: after a reboot (measured: unmounting and mounting /home again is not
enough, services started with a view of /home of their own keep its
filesystem mounted as it was).
"""

from __future__ import annotations

import json

import pytest

from installed import CHECKOUT
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


def dd(vm: VirtualMachine, account: str, path: str, mib: int) -> str:
    """`dd` as the student: what it says when it stops (its last line, or the error)."""
    result = vm.exec(f"dd if=/dev/zero of={path} bs=1M count={mib} conv=fsync 2>&1", user=account, check=False)
    lines = result.stdout.strip().splitlines()
    errors = [line for line in lines if line.startswith("dd: ")]
    return errors[0] if errors else lines[-1]


def disk_status(vm: VirtualMachine) -> dict:
    return json.loads(vm.exec("tljh-lite status --json", check=False, timeout=600).stdout)["disk"]


@pytest.fixture(scope="module")
def vm(session_containers, image, release):
    machine = VirtualMachine.boot(session_containers, image, release, {"vdb": "256M", "vdc": "320M"})
    machine.copy_in(CHECKOUT / "tljh_lite", f"{CODE}/tljh_lite")
    scripts = " && ".join(f"printf '#!/bin/sh\\nexport PYTHONPATH={CODE}\\n%s\\n' '{body}' > /usr/local/bin/{name} && "
                          f"chmod 755 /usr/local/bin/{name}" for name, body in SCRIPTS.items())
    machine.exec(f"{scripts} && mkfs.ext4 -q -L home /dev/vdb && echo '/dev/vdb /home ext4 defaults 0 2' >> /etc/fstab "
                 "&& mount /home && mkdir -p /opt/tljh/config /opt/tljh/state && chmod 700 /opt/tljh/config /opt/tljh/state && "
                 + " && ".join(f"useradd --create-home {a}" for a in ACCOUNTS))
    # A group with more space, as `tljh-config set groups.big.limits.disk 100M` and `add-item groups.big.users
    # carol` write it (each command costs seconds of emulated CPU; tests/test_quotas.py covers those keys).
    machine.exec("cat > /opt/tljh/config/config.yaml", input="groups:\n  big:\n    users: [carol]\n    limits:\n"
                 "      disk: 100M\n")
    yield machine
    machine.host.remove()


def test_the_kernel_is_debians_with_quota_support(vm, release):
    kernel = vm.exec("uname -r").stdout.strip()
    assert kernel.endswith("-amd64"), kernel
    assert {"bookworm": "6.1.", "trixie": "6.12."}[release] in kernel


def test_limits_set_with_tljh_config_are_enforced_by_the_kernel_without_a_reboot(vm):
    result = vm.exec("tljh-config set limits.disk 50M")
    assert "warning" not in result.stderr, result.stderr  # ext4 takes quotas: nothing to warn about
    said = vm.exec(f"tljh-python -c '{RELOAD_STEP}'", timeout=900).stdout
    assert "Turning on disk quotas on /home (ext4)" in said and "warning" not in said, said
    assert "usrjquota=aquota.user" in vm.exec("findmnt -n -o OPTIONS /home").stdout
    fstab = vm.exec("cat /etc/fstab").stdout
    assert "/dev/vdb /home ext4 defaults,usrjquota=aquota.user,jqfmt=vfsv1 0 2" in fstab

    assert dd(vm, "jupyter-alice", "/home/jupyter-alice/big", 80) == \
        "dd: error writing '/home/jupyter-alice/big': Disk quota exceeded"
    assert dd(vm, "jupyter-bob", "/home/jupyter-bob/twenty", 20).startswith("20971520 bytes")  # another works
    assert dd(vm, "jupyter-carol", "/home/jupyter-carol/eighty", 80).startswith("83886080 bytes")  # her group's 100M
    # Her own /var/tmp is on / (a filesystem of its own here): the same limit there.
    assert "Disk quota exceeded" in dd(vm, "jupyter-alice", "/var/tmp/alice-big", 80)
    # What she sees in her terminal (quota exits 1 while she is over): her use and her limit on each disk.
    shown = vm.exec("quota -s", user="jupyter-alice", check=False).stdout
    assert shown.count("51200K") >= 2 and "/dev/vdb" in shown, shown


def test_status_shows_each_students_use_against_her_limit(vm):
    disk = disk_status(vm)
    assert [(f["point"], f["state"]) for f in disk["filesystems"]] == [("/home", "on"), ("/", "on")]
    use = {s["account"]: s for s in disk["students"]}
    assert use["jupyter-alice"]["limit"] == 50 * 2**20 and use["jupyter-alice"]["used"] >= 49 * 2**20
    assert use["jupyter-carol"]["limit"] == 100 * 2**20 and use["jupyter-bob"]["limit"] == 50 * 2**20
    assert disk["at_limit"] == ["jupyter-alice"] and disk["problems"] == []


def test_she_deletes_files_and_writes_again(vm):
    vm.exec("rm -f /home/jupyter-alice/big /var/tmp/alice-big", user="jupyter-alice")
    assert dd(vm, "jupyter-alice", "/home/jupyter-alice/ten", 10).startswith("10485760 bytes")


def test_a_new_account_gets_its_limit_from_what_the_hub_runs(vm):
    vm.exec("useradd --create-home jupyter-dan")
    vm.exec("tljh-python -c 'from tljh_lite.quotas.newaccount import limit_new_account; from tljh_lite.runner import "
            "Runner; print(limit_new_account(Runner(), \"/usr/local/bin/tljh-python\", \"jupyter-dan\", \"50M\"))'")
    assert dd(vm, "jupyter-dan", "/home/jupyter-dan/big", 80).endswith("Disk quota exceeded")


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


def test_quotas_come_back_after_a_reboot_and_xfs_needs_a_reboot_of_its_own(vm):
    # /home moves to a new XFS disk, mounted without quotas, as a cloud image's fstab would say.
    vm.exec("mkfs.xfs -q -f /dev/vdc && sed -i 's|^/dev/vdb /home ext4 .*|/dev/vdc /home xfs defaults 0 2|' /etc/fstab")
    vm.reboot()
    assert "is on" in vm.exec("quotaon -p -u /", check=False).stdout  # / (ext4): back at boot, from fstab
    assert "Disk quota exceeded" in dd(vm, "jupyter-alice", "/var/tmp/alice-big", 80)
    vm.exec("rm -f /var/tmp/alice-big && " + " && ".join(
        f"mkdir -p /home/{a} && chown {a}: /home/{a}" for a in [*ACCOUNTS, "jupyter-dan"]))

    warned = vm.exec("tljh-config set limits.disk 60M").stderr.strip()
    assert warned == ("warning: disk quotas: /home (xfs): XFS turns quotas on only when it mounts; reload adds uquota "
                      "to /etc/fstab, then a reboot is needed"), warned
    said = vm.exec(f"tljh-python -c '{RELOAD_STEP}'", timeout=900).stdout
    assert "reboot the machine, then run sudo tljh-config reload to set the limits" in said, said
    assert "/dev/vdc /home xfs defaults,uquota 0 2" in vm.exec("cat /etc/fstab").stdout
    assert any("reboot the machine" in p for p in disk_status(vm)["problems"])

    vm.reboot()
    vm.exec(f"tljh-python -c '{RELOAD_STEP}'", timeout=900)
    home = disk_status(vm)["filesystems"][0]
    assert (home["point"], home["fstype"], home["state"]) == ("/home", "xfs", "on"), (
        home, vm.exec("findmnt -n -o OPTIONS /home; quotaon -p -u /home", check=False).stdout)
    assert dd(vm, "jupyter-alice", "/home/jupyter-alice/big", 80) == \
        "dd: error writing '/home/jupyter-alice/big': Disk quota exceeded"
    assert dd(vm, "jupyter-carol", "/home/jupyter-carol/eighty", 80).startswith("83886080 bytes")

