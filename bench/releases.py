"""Each release's bench/servers.py figures, kept in bench/releases/<version>.json, and the change from one to the next.

A record holds, for each figure, tljh-lite's value and the baseline's (the raw
stack measured in the same run), so a later run on a busier or quieter machine
compares like with like: times are compared as ratios to their same-run
baseline (a loaded machine slows both stacks), memory in MiB (load does not
change it), failures as counts.

    previous = newest record for a version not above this checkout's, other
               than the one this run writes (--record replaces its version's)

A figure more than WORSE_BY (10 %) worse than the previous release's is named
in the report, so a release that slows logins or grows the hub says so in its
own benchmark output.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORDS = HERE / "releases"
VERSION_FILE = HERE.parent / "tljh_lite" / "__init__.py"
WORSE_BY = 0.10


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str  # "time" (compared as a ratio to the baseline), "memory" (MiB), "count"


def figures(bursts: list[int]) -> list[Figure]:
    out = [
        Figure("login_s", "one student: login to JupyterLab (s)", "time"),
        Figure("idle_server_mib", "idle server memory (MiB, MemoryCurrent)", "memory"),
        Figure("hub_process_mib", "hub process (MiB anonymous)", "memory"),
        Figure("hub_culler_proxy_mib", "hub + culler + proxy processes (MiB anonymous)", "memory"),
    ]
    for n in bursts:
        out += [Figure(f"burst{n}_last_s", f"burst of {n}: until the last is ready (s)", "time"),
                Figure(f"burst{n}_failures", f"burst of {n}: failures", "count")]
    return out


def current_version(path: Path = VERSION_FILE) -> str:
    return re.search(r'__version__ = "([^"]+)"', path.read_text()).group(1)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def load_all(directory: Path = RECORDS) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))}


def previous(records: dict[str, dict], version: str, recording: bool) -> dict | None:
    """The record to compare with (see the module's docstring)."""
    candidates = [v for v in records if version_key(v) < version_key(version)
                  or (v == version and not recording)]
    return records[max(candidates, key=version_key)] if candidates else None


def record(version: str, values: dict[str, dict[str, float]], how: str) -> dict:
    return {"version": version, "recorded": time.strftime("%Y-%m-%d"), "how": how, "figures": values}


def write(rec: dict, directory: Path = RECORDS) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / f"{rec['version']}.json"
    path.write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")
    return path


def _comparable(figure: Figure, value: dict[str, float] | None) -> float | None:
    if not value or value.get("tljh-lite") is None:
        return None
    ours = value["tljh-lite"]
    if ours != ours:  # nan: someone failed, nothing to compare
        return None
    if figure.kind != "time":
        return ours
    base = value.get("baseline")
    return ours / base if base and base == base else None


def changes(before: dict, now: dict[str, dict[str, float]], bursts: list[int]) -> tuple[list[tuple], list[str]]:
    """Table rows (figure, previous, now, change) and the names of figures more than WORSE_BY worse."""
    rows, worse = [], []
    for figure in figures(bursts):
        old, new = _comparable(figure, before["figures"].get(figure.key)), _comparable(figure, now.get(figure.key))
        unit = " (x baseline)" if figure.kind == "time" else ""
        shown_old, shown_new = _show(old, figure), _show(new, figure)
        if old is None or new is None:
            rows.append((figure.label + unit, shown_old, shown_new, ""))
            continue
        if figure.kind == "count":
            change = f"{new - old:+.0f}"
            got_worse = new > old
        else:
            relative = (new - old) / old if old else 0.0
            change = f"{relative:+.0%}"
            got_worse = relative > WORSE_BY
        rows.append((figure.label + unit, shown_old, shown_new, change + (" WORSE" if got_worse else "")))
        if got_worse:
            worse.append(f"{figure.label}{unit}: {shown_old} -> {shown_new} ({change})")
    return rows, worse


def _show(value: float | None, figure: Figure) -> str:
    if value is None:
        return "-"
    if figure.kind == "count":
        return f"{value:.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"
