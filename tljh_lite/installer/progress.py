"""What the professor sees during an install: `==>` headings with elapsed seconds.

Everything said here also goes to the install log, with credentials in URLs
hidden in both; a line that holds a secret (a generated password) gives the
log a different text (`log_text`), so the secret is on the terminal only.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from typing import Iterator, TextIO

from ..redact import redact_urls

log = logging.getLogger("tljh_lite")


class Progress:
    def __init__(self, started_at: float | None = None, out: TextIO | None = None):
        # Bootstrap passes its own start time, so the seconds count from the professor's command.
        self.started_at = started_at or time.time()
        self.out = out or sys.stdout
        self.timings: list[tuple[str, float]] = []

    def elapsed(self) -> float:
        return time.time() - self.started_at

    def say(self, text: str, log_text: str | None = None) -> None:
        print(redact_urls(text), file=self.out, flush=True)
        log.info("%s", redact_urls(text if log_text is None else log_text))

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        start = time.time()
        self.say(f"==> [{self.elapsed():5.1f}s] {title}")  # as bootstrap prints its own
        yield
        self.timings.append((title, time.time() - start))
        log.info("step %r took %.1fs", redact_urls(title), time.time() - start)
