"""One round of jupyterhub-idle-culler, then exit: what tljh-cull-idle.service runs.

    python3 -I -m tljh_lite.culler.once --url=... --timeout=... [the culler's options]

The culler's own application parses the options and does the round; only its
loop is cut short, so that a process lives for the round alone. The hub API
token comes from systemd's credential (LoadCredential=), and the exit code is 1
when the round failed, so the unit (and `tljh-lite status`) shows it.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path


class _NoPycurlAdvice(logging.Filter):
    """The culler advises pycurl "if you have a large number of users" at each start: with a start
    every round, a journal line every few minutes asking for nothing a class needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Could not load pycurl")


def main(argv: list[str] | None = None) -> int:
    logging.getLogger("IdleCuller").addFilter(_NoPycurlAdvice())  # the culler application's logger
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials:
        os.environ["JUPYTERHUB_API_TOKEN"] = (Path(credentials) / "api-token").read_text().strip()
    import jupyterhub_idle_culler as culler
    from tornado.ioloop import IOLoop

    a_round = culler.cull_idle
    failed: list[BaseException] = []

    async def one_round_then_stop(*args, **kwargs):
        try:
            await a_round(*args, **kwargs)
        except Exception as error:
            failed.append(error)
            print(f"the idle culler's round failed: {error!r}; it runs again at the timer's next tick",
                  file=sys.stderr)
            traceback.print_exc()
        finally:
            IOLoop.current().stop()

    culler.cull_idle = one_round_then_stop  # IdleCuller.start() schedules this, first thing
    culler.IdleCuller.launch_instance(sys.argv[1:] if argv is None else argv)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
