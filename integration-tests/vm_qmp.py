"""Saves a running guest to a file and resumes it from one, through QEMU's QMP socket (/vm/qmp.sock).

Run inside the VM image's container (vm.py): `python3 /vm/qmp.py save /vm/state` when the
image is built (then QEMU ends), `python3 /vm/qmp.py resume` once QEMU was started with
`-incoming` (a machine saved paused comes back paused). Standard library only: the container's python3.
"""

import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw")
        self.file.readline()  # the greeting
        self.call("qmp_capabilities")

    def call(self, command: str, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "error" in reply:
                raise SystemExit(f"qmp {command}: {reply['error']}")
            if "return" in reply:
                return reply["return"]  # events ({"event": ...}) come in between


def migration_done(qmp: Qmp, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while (status := qmp.call("query-migrate").get("status")) not in ("completed", "failed", "cancelled"):
        if time.monotonic() > deadline:
            raise SystemExit(f"the guest's migration stream is still {status} after {timeout:g} s")
        time.sleep(0.2)
    return status


def save(path: str) -> None:
    qmp = Qmp("/vm/qmp.sock")
    qmp.call("stop")
    qmp.call("migrate", uri=f"exec:cat > {path}")
    if (status := migration_done(qmp)) != "completed":
        raise SystemExit(f"saving the guest to {path}: migration {status}")
    try:
        qmp.call("quit")
    except (OSError, json.JSONDecodeError):  # QEMU may close the socket before it answers
        pass
    time.sleep(2)


def resume() -> None:
    qmp = Qmp("/vm/qmp.sock")
    if (status := migration_done(qmp)) != "completed":
        raise SystemExit(f"restoring the guest: migration {status}")
    qmp.call("cont")


if __name__ == "__main__":
    if sys.argv[1:2] == ["save"] and len(sys.argv) == 3:
        save(sys.argv[2])
    elif sys.argv[1:] == ["resume"]:
        resume()
    else:
        raise SystemExit("usage: qmp.py save FILE | qmp.py resume")
