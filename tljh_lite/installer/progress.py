"""What the professor sees during an install: `==>` headings with elapsed seconds."""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from typing import Iterator, TextIO

log = logging.getLogger("tljh_lite")


class Progress:
    def __init__(self, started_at: float | None = None, out: TextIO = sys.stdout):
        # Bootstrap passes its own start time, so the seconds count from the professor's command.
        self.started_at = started_at or time.time()
        self.out = out
        self.timings: list[tuple[str, float]] = []

    def elapsed(self) -> float:
        return time.time() - self.started_at

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)
        log.info("%s", text)

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        start = time.time()
        self.say(f"==> [{self.elapsed():5.1f}s] {title}")  # as bootstrap prints its own
        yield
        self.timings.append((title, time.time() - start))
        log.info("step %r took %.1fs", title, time.time() - start)
