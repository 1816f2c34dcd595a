"""A Debian virtual machine with Debian's own kernel, for what a container cannot show.

A container runs on its host's kernel, and the kernel of this project's
machines has no disk quota support ("The kernel was not built with
CONFIG_QUOTA and CONFIG_QFMT_V2", "XFS: quota support not available"). So
the quota tests boot the release's own kernel (linux-image-amd64) in QEMU,
inside a test container (removed as every test container is, QEMU with it).

Measured here: /dev/kvm exists but the nested guest hangs before its kernel
prints a line (the host exposes no svm/vmx), so QEMU emulates (TCG): a boot
takes about 50 s on an idle machine, two minutes with both releases' tests
side by side, and Python runs 10-25 times slower than in a container.
That is why the hub itself is not installed in the VM: the tests run
tljh-lite's own commands and quota code on it (test_disk_quotas_vm.py).

Two images, each built once and cached by `containers.ensure_derived_image`:
the release's test image with the kernel, sshd, the quota tools and QEMU
beside the guest's disk (`vm-<release>`), and on top of it a machine booted
once, set up by the test module's shell lines and saved running (QEMU's
migration stream to /vm/state, its disks' writes in qcow2 layers beside;
`ensure_saved_machine`). A test restores that machine on throwaway overlays
(`VirtualMachine.restore`): no boot in the test, and the image never changes.
(QEMU's `savevm` would keep the machine inside the qcow2 it runs on; a stream
beside the disks lets every test run on overlays of layers that never change.) The guest's network is QEMU's user network
with `restrict=on`: it reaches nothing; the host reaches its sshd only
through the forwarded port, inside the container.
"""

from __future__ import annotations

import shlex
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from containers import Container, ContainerCommandError, ContainerFactory, ExecResult, ensure_derived_image
from engine import HarnessError, tail

SSH_PORT = 2222
# One connection for every command (ControlMaster): a new ssh handshake costs seconds in an emulated CPU.
SSH = ["ssh", "-i", "/vm/key", "-p", str(SSH_PORT), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15",
       "-o", "ControlMaster=auto", "-o", "ControlPath=/vm/ssh-%C", "-o", "ControlPersist=900", "root@127.0.0.1"]
BOOT_TIMEOUT = 900  # a boot on a loaded host took 7 minutes (measured, load 70 on 2 cores)
# Kernel modules no test VM loads: most of the 400 MB (the initramfs keeps what booting needs).
UNUSED_MODULES = "sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging drivers/iio " \
                 "drivers/bluetooth drivers/hid drivers/input drivers/usb drivers/scsi drivers/md net/wireless net/bluetooth"
# Boot work a test VM does not need, named on the kernel's command line (no image rebuild): measured with
# `systemd-analyze blame` in an emulated guest, each of these took 15-35 s of a 3-minute boot on a loaded host.
# ldconfig and update-done run because the guest's /etc is newer than its stamps; the journal stays in /run.
# `mitigations=off`: the guest runs only the tests' own commands, and an emulated CPU pays for every barrier.
# A start timeout of 10 minutes, not 90 s: on a loaded host (load 70 on 2 cores, measured) udev took longer
# than 90 s to show /dev/vdb, and the guest stopped in emergency mode without /home (a device's job times out
# after DefaultTimeoutStartSec, systemd.device(5)).
SKIPPED_AT_BOOT = ["ldconfig.service", "systemd-update-done.service", "e2scrub_reap.service",
                   "systemd-journal-flush.service", "modprobe@drm.service", "modprobe@efi_pstore.service",
                   "modprobe@fuse.service"]
KERNEL_COMMAND_LINE = " ".join(["root=/dev/vda rw console=ttyS0 quiet mitigations=off",
                                "systemd.default_timeout_start_sec=600",
                                *(f"systemd.mask={unit}" for unit in SKIPPED_AT_BOOT)])

PYPROJECT = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
# What tljh-lite's commands import: its own dependencies, and the hub environment's cryptography (status reads
# certificates with it). /opt/tljh-deps stands for the hub's environment, without JupyterHub.
DEPENDENCIES = [*PYPROJECT["dependencies"],
                *(d for d in PYPROJECT["optional-dependencies"]["hub"] if d.startswith("cryptography"))]
DEPS_PYTHON = "/opt/tljh-deps/bin/python3"
QMP_SCRIPT = Path(__file__).resolve().parent / "vm_qmp.py"

# The guest: the test image with a kernel, sshd and the quota tools (what the installer's apt step installs),
# and those Python packages; then QEMU beside it.
BUILD = f"""set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends linux-image-amd64 initramfs-tools openssh-server quota xfsprogs e2fsprogs
python3 -m venv /opt/tljh-deps
PIP_CERT=/etc/ssl/certs/ca-certificates.crt /opt/tljh-deps/bin/pip install -q {shlex.join(DEPENDENCIES)}
mkdir -p /etc/systemd/network /root/.ssh /vm
printf '[Match]\\nName=en*\\n[Network]\\nDHCP=yes\\n' > /etc/systemd/network/20-wired.network
systemctl enable systemd-networkd
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer 2>/dev/null || true
ssh-keygen -q -t ed25519 -N '' -f /vm/key && cp /vm/key.pub /root/.ssh/authorized_keys
echo '/dev/vda / ext4 errors=remount-ro 0 1' > /etc/fstab
apt-get clean && rm -rf /var/lib/apt/lists/*
tar --one-file-system -C / --exclude=./vm --exclude=./proc --exclude=./sys --exclude=./dev --exclude=./run \
    --exclude=./tmp -cf - . | (mkdir -p /vm/root && tar -C /vm/root -xf -)
mkdir -p /vm/root/proc /vm/root/sys /vm/root/dev /vm/root/run /vm/root/tmp && chmod 1777 /vm/root/tmp
echo 'nameserver 10.0.2.3' > /vm/root/etc/resolv.conf && echo vm > /vm/root/etc/hostname
version=$(ls /vm/root/usr/lib/modules)
(cd /vm/root/usr/lib/modules/$version/kernel && rm -rf {UNUSED_MODULES})
depmod -b /vm/root $version
cp /vm/root/boot/vmlinuz-$version /vm/vmlinuz && cp /vm/root/boot/initrd.img-$version /vm/initrd.img
apt-get update -q
apt-get install -y -q --no-install-recommends qemu-system-x86 qemu-utils openssh-client
apt-get clean && rm -rf /var/lib/apt/lists/*
mkfs.ext4 -q -L root -d /vm/root /vm/root.img 3G
qemu-img convert -O qcow2 /vm/root.img /vm/root.qcow2
rm -rf /vm/root /vm/root.img
"""


def ensure_vm_image(base: str, release: str) -> str:
    return ensure_derived_image(f"vm-{release}", base, BUILD)


def qemu_command(disks: Iterable[str], memory_mb: int, layer: str, extra: str = "") -> str:
    """QEMU for the guest: its disk and the extra `disks` (their qcow2 `layer` under /vm), its sshd on the
    container's 127.0.0.1:SSH_PORT, QMP on /vm/qmp.sock. A saved machine is restored only into the same
    devices, so the image's one boot and every test's restore share this line. `-no-reboot`: a reboot
    ends QEMU (an emulated reset was seen to hang); the tests restart the guest with soft_reboot."""
    drives = "".join(f"-drive file=/vm/{name}-{layer}.qcow2,if=virtio,format=qcow2 " for name in ["root", *sorted(disks)])
    return ("qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -no-reboot "
            f"-m {memory_mb} -display none -monitor none -serial file:/vm/console.log -daemonize "
            "-pidfile /vm/qemu.pid -qmp unix:/vm/qmp.sock,server=on,wait=off -kernel /vm/vmlinuz -initrd /vm/initrd.img "
            f"-append '{KERNEL_COMMAND_LINE}' {drives}"
            f"-netdev user,id=net,restrict=on,hostfwd=tcp:127.0.0.1:{SSH_PORT}-:22 "
            f"-device virtio-net-pci,netdev=net {extra}")


def overlays(disks: Iterable[str], under: str, layer: str) -> str:
    """A copy-on-write `layer` over each disk's `under` layer ("" for the disk itself), which never changes."""
    return " && ".join(f"rm -f /vm/{name}-{layer}.qcow2 && qemu-img create -q -f qcow2 -F qcow2 "
                       f"-b /vm/{name}{'-' + under if under else ''}.qcow2 /vm/{name}-{layer}.qcow2"
                       for name in ["root", *sorted(disks)])


WAIT_FOR_SSH = f"""deadline=$(( $(date +%s) + {BOOT_TIMEOUT} ))
until {shlex.join(SSH)} true 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || {{ tail -c 4000 /vm/console.log; exit 1; }}
    sleep 3
done"""


def saved_machine_script(disks: dict[str, str], memory_mb: int, setup: str) -> str:
    """The image step that boots the guest once, runs `setup` in it, and saves the running machine
    (memory and devices, QEMU's migration stream) to /vm/state, its disks' writes in their "saved" layer."""
    create = " && ".join(f"qemu-img create -q -f qcow2 /vm/{name}.qcow2 {size}" for name, size in sorted(disks.items()))
    return f"""set -e
{create}
{overlays(disks, under="", layer="saved")}
{qemu_command(disks, memory_mb, layer="saved")}
{WAIT_FOR_SSH}
{shlex.join(SSH)} sh -e <<'TLJH_LITE_GUEST_SETUP'
{setup}
sync
TLJH_LITE_GUEST_SETUP
python3 /vm/qmp.py save /vm/state
rm -f /vm/console.log /vm/ssh-* /vm/qmp.sock /vm/qemu.pid
"""


def ensure_saved_machine(base: str, release: str, name: str, disks: dict[str, str], memory_mb: int, setup: str) -> str:
    """The VM image with a guest booted once, set up with `setup`, and saved running: cached by its recipe."""
    return ensure_derived_image(f"{name}-{release}", ensure_vm_image(base, release),
                                saved_machine_script(disks, memory_mb, setup), files={"/vm/qmp.py": QMP_SCRIPT})


class VirtualMachine:
    """A guest restored where its image saved it, reached over ssh from the container QEMU runs in."""

    def __init__(self, host: Container):
        self.host = host

    @classmethod
    def restore(cls, factory: ContainerFactory, base: str, release: str, name: str, disks: dict[str, str],
                setup: str, memory_mb: int = 1024) -> VirtualMachine:
        """A guest with empty extra `disks` ({"vdb": "256M"}, virtio devices) set up by the shell lines
        `setup`, booted and saved once when its image is built (ensure_saved_machine), restored here in
        seconds on throwaway overlays; its clock is set to now (it resumes at the time it was saved)."""
        host = factory.start(ensure_saved_machine(base, release, name, disks, memory_mb, setup), systemd=False)
        vm = cls(host)
        host.exec(overlays(disks, under="saved", layer="run") + " && "
                  + qemu_command(disks, memory_mb, layer="run", extra="-incoming 'exec:cat /vm/state'")
                  + " && python3 /vm/qmp.py resume")
        vm.wait_for_ssh()
        vm.exec(f"date -s @{int(time.time())} >/dev/null")
        return vm

    def wait_for_ssh(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Wait until the guest's sshd answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.host.exec([*SSH, "true"], check=False, timeout=30).exit_code == 0:
                    return
            except ContainerCommandError:  # a guest half up can keep ssh waiting past its own timeout
                pass
            time.sleep(3)
        raise HarnessError(f"the VM in {self.host.name} did not answer over ssh within {timeout:g} s; its console:\n"
                           + tail(self.host.exec("cat /vm/console.log", check=False).stdout))

    def exec(self, command: str, *, check: bool = True, timeout: float = 300, input: str | None = None,
             user: str | None = None) -> ExecResult:
        """Run a shell command line in the guest (as root, or as `user` through runuser)."""
        if user:
            command = f"runuser -u {shlex.quote(user)} -- sh -c {shlex.quote(command)}"
        return self.host.exec([*SSH, f"timeout {timeout:g} sh -c {shlex.quote(command)}"], check=check,
                              timeout=timeout + 30, input=input)

    def soft_reboot(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Restart the guest's whole user space on the same kernel (`systemctl soft-reboot`, systemd 254 and
        later: Debian 13): every process ends, every filesystem but / is unmounted and mounted again from
        /etc/fstab, the boot's units run again; what a reboot does for quotas, without the minutes an
        emulated kernel takes to boot. Waits until the new user space answers."""
        count = int(self.exec("systemctl show -P SoftRebootsCount").stdout)
        self.exec("systemctl soft-reboot", check=False, timeout=60)
        self._forget_connection()
        deadline = time.monotonic() + timeout
        while True:
            self.wait_for_ssh(max(deadline - time.monotonic(), 1))
            now = self.exec("systemctl show -P SoftRebootsCount", check=False, timeout=60).stdout.strip()
            if now.isdigit() and int(now) > count:
                return
            self._forget_connection()  # the old user space's sshd, not yet stopped
            time.sleep(3)

    def _forget_connection(self) -> None:
        """Closes the shared ssh connection: it would wait on a stopped sshd until its keep-alives give up."""
        self.host.exec([*SSH[:-1], "-O", "exit", SSH[-1]], check=False, timeout=30)

    def copy_in(self, host_path: Path, dest: str) -> None:
        """A host file or folder to `dest` in the guest (through the container). Python modules are
        compiled in the container first (the same release's Python): the guest's emulated CPU would
        take seconds for it at every first import."""
        staging = f"/vm/upload/{PurePosixPath(dest).name}"
        self.host.copy_in(host_path, staging)
        parent = PurePosixPath(dest).parent
        self.host.exec(f"python3 -m compileall -q -d {shlex.quote(dest)} {staging} >/dev/null; "
                       f"tar -C /vm/upload -cf - {shlex.quote(PurePosixPath(dest).name)} | "
                       + shlex.join([*SSH, f"mkdir -p {parent} && tar -C {parent} -xf -"]) + f" && rm -rf {staging}")

    def diagnostics(self) -> str:
        console = self.host.exec("tail -c 4000 /vm/console.log", check=False).stdout
        journal = self.exec("journalctl -b --no-pager -n 80", check=False, timeout=60)
        return f"--- console ---\n{console}\n--- journal ---\n{journal.stdout}{journal.stderr}"
