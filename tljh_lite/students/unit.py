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

# For students only, and nothing in the config turns it off: no setuid program
# (sudo, su, ...) ever gives her more privileges. SystemdSpawner sets it only
# through disable_user_sudo, and PrivateDevices= implies it only while
# isolate_devices is on, which a course with GPUs turns off
# (systemd.exec(5), #NoNewPrivileges=). Admins need sudo, so they go without.
STUDENT_ONLY = {"NoNewPrivileges": "yes"}


def unit_properties(configured: Mapping[str, str], *, admin: bool) -> dict[str, str]:
    """The unit_extra_properties a server starts with.

    Ours first, then the config's (c.SystemdSpawner.unit_extra_properties) over
    them, then, for a student, STUDENT_ONLY, which nothing overrides.
    """
    properties = {**ISOLATION, **configured}
    if not admin:
        properties.update(STUDENT_ONLY)
    return properties
