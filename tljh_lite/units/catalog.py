"""Every systemd unit tljh-lite writes, in the order they are started.

Each feature declares its units next to its code, as `tljh_lite.systemd.Unit`
values (their text, what they are, when they are wanted); this list is the
one place that gathers them. The unit manager writes and starts them from it,
and `tljh-lite status` reports on them from it. A new feature adds its units
here, and nowhere else.

The order matters where units hand a port to each other: the port-80
responder comes before the proxy (when HTTPS goes off it gives port 80 back
to the proxy first), and the proxy before the hub.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..backup import units as backup
from ..culler import units as culler
from ..hub.unit import HUB
from ..https import units as https
from ..proxy.unit import PROXY
from ..systemd import Unit
from ..usage import units as usage

CATALOG: tuple[Unit, ...] = (
    https.RESPONDER,
    PROXY,
    HUB,
    *https.RENEWAL,
    *backup.UNITS,
    *usage.UNITS,
    *culler.UNITS,
)


def unit(name: str) -> Unit:
    return next(u for u in CATALOG if u.name == name)


def needed_units(config: Mapping[str, Any]) -> dict[str, bool]:
    """Every unit, and whether it should be active under this config (a oneshot: never between runs)."""
    return {u.name: u.needed(config) for u in CATALOG}
