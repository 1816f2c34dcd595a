"""One sample of the class, recorded: what `tljh-usage.timer` runs every minute.

A student is active in a minute when the hub saw her server's traffic
(notebooks, kernels, terminals) in the last ACTIVE_WINDOW seconds, or when
her server used more than ACTIVE_CPU_MS of CPU since the last sample (a long
computation with the browser closed). Standard library only: it starts every
minute, so it must start fast and small.
"""

from __future__ import annotations

import sys
import time
from typing import Mapping

from ..runner import Runner
from ..paths import Paths
from . import probe
from .store import ClassSample, ServerSample, cpu_since_last, forget_units, open_store, record, record_file

# The hub folds the proxy's activity into its database every minute: two minutes
# cover a minute's sample whatever the phase between them.
ACTIVE_WINDOW = 120
ACTIVE_CPU_MS = 1000


def is_active(server: probe.Server, cpu_ms: int | None, seen: Mapping[str, float], now: float) -> bool:
    last = seen.get(server.user)
    return (last is not None and now - last <= ACTIVE_WINDOW) or (cpu_ms or 0) > ACTIVE_CPU_MS


def take_sample(paths: Paths, runner: Runner, db, now: float | None = None) -> ClassSample:
    now = time.time() if now is None else now
    servers = probe.running_servers(runner)
    seen = probe.last_activity(paths.hub_db)
    samples = []
    for server in servers:
        cpu_ms = None if server.cpu_ns is None else cpu_since_last(db, server.unit, server.invocation, server.cpu_ns)
        samples.append(ServerSample(server.user, server.memory or 0, cpu_ms, is_active(server, cpu_ms, seen, now)))
    forget_units(db, [s.unit for s in servers])
    machine = probe.machine([])
    return ClassSample(int(now), tuple(samples), machine.memory_used)


def main() -> int:
    paths = Paths.from_environ()
    db = open_store(record_file(paths))
    try:
        record(db, take_sample(paths, Runner(), db))
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
