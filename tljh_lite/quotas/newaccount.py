"""A new student's limit, set by the hub when it makes her account.

The hub's unit has a /dev of its own without disks (PrivateDevices=), and the
quota tools need the filesystem's device ("setquota: Cannot stat() mounted
device /dev/vdb", measured), so the hub runs this module through systemd-run,
outside its own sandbox:

    systemd-run --wait --pipe --quiet --collect PYTHON -m tljh_lite.quotas.newaccount jupyter-alice 50M

It is run only when some filesystem students write to is mounted with quota
options, so a hub without quotas pays nothing at a first login. A limit of
`none` clears what an old account of the same uid may have left.
"""

from __future__ import annotations

import sys

from ..errors import TljhError
from ..runner import Result, Runner
from . import machine
from .limits import set_limits
from .mounts import parse_mountinfo
from .support import ON, has_quota_options, student_filesystems


def quotas_configured(mountinfo_text: str) -> bool:
    return any(has_quota_options(fs.mount) for fs in student_filesystems(parse_mountinfo(mountinfo_text)))


def command(python: str, account: str, limit: str | None) -> list[str]:
    return ["systemd-run", "--wait", "--pipe", "--quiet", "--collect",
            python, "-m", "tljh_lite.quotas.newaccount", account, limit or "none"]


def limit_new_account(runner: Runner, python: str, account: str, limit: str | None,
                      places: machine.Places = machine.Places()) -> Result | None:
    """From the hub: the new account's limit on every filesystem with quotas on; None when none has quotas."""
    if not quotas_configured(places.mountinfo.read_text()):
        return None
    return runner.run(command(python, account, limit), check=False, timeout=120)


def main(argv: list[str] | None = None) -> int:
    account, limit = argv if argv is not None else sys.argv[1:]
    runner = Runner()
    try:
        for support in machine.supports(runner):
            if support.state == ON:
                set_limits(runner, support.filesystem.point, {account: None if limit == "none" else limit})
    except TljhError as e:  # the hub logs it; status shows the account without its limit
        print(f"error: {e.one_line()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
