"""One round of jupyterhub-idle-culler, then exit: what tljh-cull-idle.service runs.

    python3 -I -m tljh_lite.culler.once --url=... --timeout=... [the culler's options]

The culler's own application parses the options and does the round; only its
loop is cut short, so that a process lives for the round alone. The hub API
token comes from systemd's credential (LoadCredential=), and the exit code is 1
when the round failed, so the unit (and `tljh-lite status`) shows it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import traceback
from pathlib import Path

RETRY_SECONDS = 90  # longer than a hub restart takes on a busy small VM
RETRY_EVERY = 5


class _NoPycurlAdvice(logging.Filter):
    """The culler advises pycurl "if you have a large number of users" at each start: with a start
    every round, a journal line every few minutes asking for nothing a class needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Could not load pycurl")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    retry_for = RETRY_SECONDS
    if argv and argv[0].startswith("--retry-for="):  # ours, not the culler's (tests: 0)
        retry_for, argv = float(argv[0].split("=", 1)[1]), argv[1:]
    logging.getLogger("IdleCuller").addFilter(_NoPycurlAdvice())  # the culler application's logger
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials:
        os.environ["JUPYTERHUB_API_TOKEN"] = (Path(credentials) / "api-token").read_text().strip()
    import jupyterhub_idle_culler as culler
    from tornado.ioloop import IOLoop

    a_round = culler.cull_idle
    failed: list[BaseException] = []

    async def one_round_then_stop(*args, **kwargs):
        # A round that starts while `tljh-config reload` restarts the hub finds nobody on its
        # port: it tries again for a while, so that a reload never shows as a failed culler.
        deadline = time.monotonic() + retry_for
        try:
            while True:
                try:
                    await a_round(*args, **kwargs)
                    return
                except Exception as error:
                    if time.monotonic() + RETRY_EVERY > deadline:
                        failed.append(error)
                        print(f"the idle culler's round failed: {error!r}; it runs again at the timer's next tick",
                              file=sys.stderr)
                        traceback.print_exc()
                        return
                await asyncio.sleep(RETRY_EVERY)
        finally:
            IOLoop.current().stop()

    culler.cull_idle = one_round_then_stop  # IdleCuller.start() schedules this, first thing
    culler.IdleCuller.launch_instance(argv)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
