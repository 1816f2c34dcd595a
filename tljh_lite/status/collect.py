"""Everything `tljh-lite status` shows, gathered into one dict (what --json prints).

Each part is gathered on its own: a part that cannot be read (a half-installed
machine, a stopped hub) says so in its place and the others still show.
"""

from __future__ import annotations

import importlib.metadata
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from .. import __version__
from ..runner import Runner
from ..errors import TljhError
from ..paths import Paths
from ..usage import probe
from ..quotas.report import biggest_homes_words, disk_report
from ..usage.current import quiet, servers
from ..users.admission import known_users
from .units import unit_states

PRESSURE_PERCENT = 10.0  # PSI: tasks waited for memory more than this share of the last minute
AVAILABLE_PERCENT = 10.0  # or less than this share of memory is available
DISK_PERCENT = 90.0
CERT_DAYS = 14


def _safe(part: str, problems: list[str], gather: Callable[[], Any]) -> Any:
    try:
        return gather()
    except (TljhError, OSError, ValueError) as e:
        problems.append(f"cannot read {part}: {e}")
        return None


def versions() -> dict[str, str | None]:
    try:
        hub = importlib.metadata.version("jupyterhub")
    except importlib.metadata.PackageNotFoundError:
        hub = None
    return {"tljh-lite": __version__, "jupyterhub": hub}


def certificate(config: Mapping[str, Any], runner: Runner) -> dict[str, Any]:
    from ..https.certificates import CertificateError, check_pair, now_utc
    from ..https.files import tls_files
    from ..https.status import status_lines

    files = tls_files(config)
    if files is None:
        return {"https": False}
    lines, problems = status_lines(config, runner)
    try:
        info = check_pair(files.key, files.cert, config["https"]["letsencrypt"]["domains"], settings=files.settings)
        expires, days = info.not_after.isoformat(), info.days_left(now_utc())
    except CertificateError as e:
        expires, days = None, None
        problems = problems or [e.one_line()]
    return {"https": True, "expires": expires, "days_left": days, "lines": lines, "problems": problems}


def last_sample(paths: Paths) -> float | None:
    from ..usage.store import open_store, record_file

    if not record_file(paths).exists():
        return None
    db = open_store(record_file(paths), readonly=True)
    try:
        return db.execute("SELECT max(t) FROM class_minute").fetchone()[0]
    finally:
        db.close()


def backup(config: Mapping[str, Any], paths: Paths) -> dict[str, Any]:
    from ..backup.scheduled import backup_problem, last_scheduled

    attempt = last_scheduled(paths)
    return {"schedule": config["backup"]["schedule"], "last": attempt.line() if attempt else None,
            "ok": None if attempt is None else attempt.ok, "notes": list(attempt.notes) if attempt else [],
            "problem": backup_problem(attempt)}


def zram(config: Mapping[str, Any]) -> dict[str, Any]:
    from ..zram.state import line, zram_state

    state = zram_state()
    in_container = Path("/run/systemd/container").exists()  # systemd writes it when it runs in one
    return {"enabled": config["zram"]["enabled"], "line": line(state, config["zram"]["enabled"], in_container),
            "device": None if state is None else {"name": state.device, "disksize": state.disksize,
                                                  "stored": state.stored, "compressed": state.compressed,
                                                  "algorithm": state.algorithm}}


def missing_parts(paths: Paths) -> list[str]:
    """What a finished install has and this machine lacks."""
    checks = {
        paths.hub_venv / "bin" / "jupyterhub": "the hub environment",
        paths.user_venv / "bin" / "jupyterhub-singleuser": "the students' environment",
        paths.config_file: "config.yaml",
        paths.state_dir / "proxy.env": "the hub's secrets",
        Path("/etc/systemd/system/jupyterhub.service"): "the hub's unit",
    }
    return [f"{what} ({path})" for path, what in checks.items() if not path.exists()]


def collect(config: Mapping[str, Any], paths: Paths, runner: Runner, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    problems: list[str] = []
    missing = missing_parts(paths)
    if missing:
        problems.append("tljh-lite is not fully installed here; missing: " + ", ".join(missing)
                        + "; run the installer again (docs/installing.md)")
    status: dict[str, Any] = {"time": now, "versions": versions(), "missing": missing}
    units = _safe("the services", problems, lambda: unit_states(runner, config)) or []
    status["services"] = [{"name": u.name, "state": u.state, "since": u.since,
                           "uptime": None if u.since is None or u.state != "active" else now - u.since} for u in units]
    # On a half-installed machine the line above names what is missing; each unit need not say it again.
    problems += [u.problem for u in units if u.problem and not (missing and u.state == "not installed")]
    cert = _safe("the certificate", problems, lambda: certificate(config, runner))
    status["certificate"] = cert
    if cert and cert.get("https"):
        if cert["days_left"] is not None and cert["days_left"] < CERT_DAYS:
            problems.append(f"the certificate expires in {cert['days_left']:.0f} days; run: sudo tljh-lite https renew")
        problems += cert["problems"]
    status["servers"] = _safe("the students' servers", problems, lambda: servers(runner, paths, now)) or []
    disks = [p for p in (Path("/home"), paths.prefix) if p.exists()]
    disk = _safe("the disk quotas", problems, lambda: disk_report(config, runner, paths.state_dir,
                                                                  known=quiet(lambda: known_users(paths.hub_db), ())))
    status["disk"] = disk
    machine = _safe("the machine's memory", problems, lambda: probe.machine(disks))
    if machine:
        status["machine"] = {"memory_total": machine.memory_total, "memory_available": machine.memory_available,
                             "memory_pressure": machine.memory_pressure, "cpus": machine.cpus, "load1": machine.load1,
                             "disks": {p: {"used": u, "total": t} for p, (u, t) in machine.disks.items()}}
        problems += machine_problems(machine, {"/home": biggest_homes_words(disk)} if disk else {})
    problems += disk["problems"] if disk else []
    status["servers_memory"] = sum(s["memory"] or 0 for s in status["servers"])
    status["backup"] = _safe("the last backup", problems, lambda: backup(config, paths))
    if status["backup"] and status["backup"]["problem"]:
        problems.append(f"{status['backup']['problem']}; see: sudo tljh-lite backup status")
    status["usage_last_sample"] = quiet(lambda: last_sample(paths), None)
    status["zram"] = zram(config)
    status["problems"] = problems
    return status


def machine_problems(machine: probe.Machine, biggest: Mapping[str, str] | None = None) -> list[str]:
    """`biggest`: for a disk path, its biggest homes in words (named when that disk is full)."""
    problems = []
    available = 100 * machine.memory_available / machine.memory_total if machine.memory_total else 100
    if (machine.memory_pressure or 0) > PRESSURE_PERCENT or available < AVAILABLE_PERCENT:
        problems.append(
            f"memory pressure: {available:.0f} % of memory available, tasks waited for memory "
            f"{machine.memory_pressure or 0:.0f} % of the last minute; set limits.memory, or a bigger VM "
            "(sudo tljh-lite report)")
    for path, (used, total) in machine.disks.items():
        if total and 100 * used / total > DISK_PERCENT:
            names = (biggest or {}).get(str(path))
            where = f"; biggest homes: {names}" if names else ""
            problems.append(f"disk: {path} is {100 * used / total:.0f} % full{where}; free space or grow the disk "
                            "(docs/disk.md)")
    return problems
