"""A pytest plugin that ends the run with each module's wall time (setup, call and teardown summed).

CI's budget is spent per module, and `--durations` shows single phases only. A session
fixture's setup (a shared hub's install) is counted in the module whose test needed it first.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

_seconds: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _seconds[report.nodeid.split("::", 1)[0]] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _seconds:
        return
    terminalreporter.section("wall time per module")
    for module, seconds in sorted(_seconds.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:7.1f} s  {module}")
    terminalreporter.write_line(f"{sum(_seconds.values()):7.1f} s  in all")
