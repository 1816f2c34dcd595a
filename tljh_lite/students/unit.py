"""The systemd properties every student's server unit gets, on top of SystemdSpawner's.

SystemdSpawner passes them to `systemd-run --property=...`. Man page for every
setting: systemd.exec(5), https://www.freedesktop.org/software/systemd/man/systemd.exec.html
"""

from __future__ import annotations

from typing import Mapping

# For every hub user's server, admins' included (for an admin, root through
# sudo sees past ProtectProc, as root does).
ISOLATION = {
    # She sees her own processes only: other users' (root's, the hub's, the
    # proxy's, other students') are hidden from /proc, command lines included
    # (systemd.exec(5), #ProtectProc=).
    "ProtectProc": "invisible",
    # Her own /dev/shm, an empty tmpfs that ends with her server, so POSIX shared
    # memory and semaphores (multiprocessing's) are hers alone. PrivateDevices=
    # does not do this: it bind-mounts the machine's /dev/shm into the private /dev
    # (systemd.exec(5), #TemporaryFileSystem=). 1777 as /dev/shm always is.
    "TemporaryFileSystem": "/dev/shm:mode=1777",
    # Her own System V IPC objects and POSIX message queues (systemd.exec(5), #PrivateIPC=).
    "PrivateIPC": "yes",
    # Jupyter's runtime files (the server's, and each kernel's connection file with
    # its key) in her private /dev/shm, not in her home: a server whose home has no
    # room left (a full disk, or her own disk quota) still starts and runs kernels, so
    # she can delete files to get back under. Measured: with the runtime folder in
    # ~/.local/share/jupyter, a new student's server dies at start on a full disk
    # ("No space left on device: '/home/jupyter-bob/.local'"). (systemd.exec(5), #Environment=)
    "Environment": "JUPYTER_RUNTIME_DIR=/dev/shm/jupyter-runtime",
}

# For students, unless the config says otherwise: no Node.js. The proxy needs it,
# so Debian's package puts it in /usr/bin, but no student's lesson does, and
# JupyterLab (4.6) runs `node yarn.js config` at every server start whenever it
# finds node on the PATH: 0.6 s and half a CPU-second of every login, for a
# registry setting nobody uses here (docs/performance.md). The files are made
# inaccessible in her server's mount namespace only ("-": missing is fine)
# (systemd.exec(5), #InaccessiblePaths=). Admins keep node: their terminals run
# apt, which must be able to upgrade it. A course that needs node for its
# students sets InaccessiblePaths in c.SystemdSpawner.unit_extra_properties.
STUDENT_DEFAULTS = {"InaccessiblePaths": "-/usr/bin/node -/usr/bin/nodejs -/usr/local/bin/node"}

# For students only, and nothing in the config turns it off: no setuid program
# (sudo, su, ...) ever gives her more privileges. SystemdSpawner sets it only
# through disable_user_sudo, and PrivateDevices= implies it only while
# isolate_devices is on, which a course with GPUs turns off
# (systemd.exec(5), #NoNewPrivileges=). Admins need sudo, so they go without.
STUDENT_ONLY = {"NoNewPrivileges": "yes"}


def swap_limit(mem_limit: int | None) -> dict[str, str]:
    """With limits.memory, at most half as much again in swap (systemd.resource-control(5), #MemorySwapMax=).

    With swap (zram, tljh_lite.zram), the cold pages of an idle server and kernel
    go to compressed memory instead of taking RAM from students who work. But
    without a cap, a kernel past MemoryMax= would swap instead of being killed,
    filling the swap the whole class shares. So her kernel is still killed alone,
    once it holds limits.memory in RAM and half that in swap; in zram, at about
    3:1, that half costs a sixth of the limit. Without limits.memory there is no
    cap on either (set one: docs/config.md). Enforced where cgroup v2 is (every
    supported Debian and Ubuntu by default); cgroup v1 hosts ignore it.
    """
    return {} if mem_limit is None else {"MemorySwapMax": str(int(mem_limit) // 2)}


def unit_properties(configured: Mapping[str, str], *, admin: bool, mem_limit: int | None = None) -> dict[str, str]:
    """The unit_extra_properties a server starts with.

    Ours first (the swap cap for `mem_limit`, and for a student STUDENT_DEFAULTS),
    then the config's (c.SystemdSpawner.unit_extra_properties) over them, then,
    for a student, STUDENT_ONLY, which nothing overrides.
    """
    properties = {**ISOLATION, **swap_limit(mem_limit), **({} if admin else STUDENT_DEFAULTS), **configured}
    if not admin:
        properties.update(STUDENT_ONLY)
    return properties
