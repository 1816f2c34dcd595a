"""`tljh-lite status`: what systemd and the kernel say, turned into named problems; a half-installed machine."""

from __future__ import annotations

import json
import sqlite3

from fakes import RecordingRunner
from tljh_lite.cli import tljh_lite as lite
from tljh_lite.runner import Result
from tljh_lite.config.defaults import merged
from tljh_lite.paths import Paths
from tljh_lite.status import collect, render
from tljh_lite.status import units as services
from tljh_lite.usage import probe

GIB = 1024 ** 3
SHOW = """Id=jupyter-ada.service
User=jupyter-ada
ActiveState=active
InvocationID=abc
ControlGroup=/system.slice/jupyter-ada.service
MemoryCurrent=104857600
MemoryPeak=[not set]
CPUUsageNSec=[not set]
ActiveEnterTimestamp=Sat 2026-11-28 05:27:20 UTC

Id=jupyter-ben.service
ActiveState=active
InvocationID=def
ControlGroup=/system.slice/jupyter-ben.service
MemoryCurrent=52428800
MemoryPeak=73400320
CPUUsageNSec=2500000000
ActiveEnterTimestamp=Sat 2026-11-28 05:28:00 UTC
"""


def runner_for(show: str, units: str = "jupyter-ada.service loaded active running x\njupyter-ben.service loaded active running x\n"):
    return RecordingRunner({
        ("systemctl", "list-units"): Result([], 0, units, ""),
        ("systemctl", "show"): Result([], 0, show, ""),
    })


def test_running_servers_from_one_systemctl_show_with_cpu_from_the_cgroup_where_systemd_has_none(tmp_path):
    cgroup = tmp_path / "system.slice" / "jupyter-ada.service"
    cgroup.mkdir(parents=True)
    (cgroup / "cpu.stat").write_text("usage_usec 1500000\nuser_usec 1000000\n")
    ada, ben = probe.running_servers(runner_for(SHOW), cgroup_roots=[tmp_path])
    assert (ada.user, ada.memory, ada.cpu_ns, ada.invocation) == ("ada", 100 * 2**20, 1_500_000_000, "abc")
    assert ada.started == 1795843640.0
    assert (ben.user, ben.memory_peak, ben.cpu_ns) == ("ben", 70 * 2**20, 2_500_000_000)


def test_last_activity_read_from_the_hubs_database(tmp_path):
    db = sqlite3.connect(tmp_path / "jupyterhub.sqlite")
    db.executescript("""CREATE TABLE users (id INTEGER, name TEXT, last_activity TEXT);
        CREATE TABLE spawners (user_id INTEGER, name TEXT, last_activity TEXT);
        INSERT INTO users VALUES (1, 'ada', '2026-11-28 05:29:00'), (2, 'ben', '2026-11-28 05:29:00');
        INSERT INTO spawners VALUES (1, '', '2026-11-28 05:27:30.500000'), (2, '', NULL);""")
    db.commit()
    assert probe.last_activity(tmp_path / "jupyterhub.sqlite") == {"ada": 1795843650.5}
    assert probe.last_activity(tmp_path / "missing.sqlite") == {}


UNITS = """Id=jupyterhub.service
LoadState=loaded
ActiveState=active
ActiveEnterTimestamp=Sat 2026-11-28 05:27:20 UTC

Id=configurable-http-proxy.service
LoadState=not-found
ActiveState=inactive

Id=tljh-backup.timer
LoadState=loaded
ActiveState=inactive

Id=tljh-usage.service
LoadState=loaded
ActiveState=failed
InactiveEnterTimestamp=Sat 2026-11-28 05:30:00 UTC

Id=tljh-usage.timer
LoadState=loaded
ActiveState=active
"""


def test_units_a_missing_proxy_and_a_failed_sampler_are_problems_an_unused_timer_is_not_listed():
    states = {s.name: s for s in services.unit_states(runner_for(UNITS), merged({}))}
    assert states["jupyterhub.service"].problem is None
    assert "is not installed" in states["configurable-http-proxy.service"].problem
    assert "has failed; see: sudo journalctl -u tljh-usage.service" in states["tljh-usage.service"].problem
    assert "tljh-backup.timer" not in states and "tljh-http.service" not in states
    with_backups = {s.name for s in services.unit_states(runner_for(UNITS), merged({"backup": {"schedule": "daily"}}))}
    assert "tljh-backup.timer" in with_backups


def test_memory_pressure_and_full_disks_are_named():
    healthy = probe.Machine(8 * GIB, 4 * GIB, 0.5, 2, 0.3, {"/home": (10, 100)})
    assert collect.machine_problems(healthy) == []
    squeezed = probe.Machine(8 * GIB, GIB // 2, 25.0, 2, 3.0, {"/home": (95, 100), "/opt/tljh": (50, 100)})
    first, second = collect.machine_problems(squeezed)
    assert first.startswith("memory pressure: 6 % of memory available, tasks waited for memory 25 %")
    assert second.startswith("disk: /home is 95 % full")


def test_a_half_installed_machine_says_what_is_missing_and_shows_the_rest(tmp_path):
    paths = Paths(tmp_path / "opt")
    status = collect.collect(merged({}), paths, RecordingRunner())
    assert "the hub environment" in status["problems"][0] and "run the installer again" in status["problems"][0]
    text = render.text(status)
    assert "Students' servers running: 0" in text and "Needs you: tljh-lite is not fully installed" in text
    assert len(status["problems"]) == 1  # not once more for every unit it lacks
    json.dumps(status, default=str)


def test_the_text_shows_each_server_and_all_well_when_nothing_needs_you():
    status = {
        "time": 2000.0, "versions": {"tljh-lite": "0.3.0", "jupyterhub": "6.1.1"}, "missing": [],
        "services": [{"name": "jupyterhub.service", "state": "active", "since": 1000.0, "uptime": 1000.0}],
        "certificate": {"https": True, "expires": "2027-01-30T00:00:00", "days_left": 63.2, "lines": [], "problems": []},
        "servers": [{"user": "ada", "unit": "jupyter-ada.service", "memory": 100 * 2**20, "memory_peak": 150 * 2**20,
                     "cpu_seconds": 12.0, "cpu_cores_last_minute": 0.25, "uptime": 3600, "idle": 90}],
        "machine": {"memory_total": 4 * GIB, "memory_available": 3 * GIB, "memory_pressure": 0.0, "cpus": 2,
                    "load1": 0.5, "disks": {"/home": {"used": GIB, "total": 10 * GIB}}},
        "servers_memory": 100 * 2**20, "backup": {"schedule": "off", "last": None, "ok": None},
        "usage_last_sample": 1970.0, "problems": [],
    }
    text = render.text(status)
    assert "tljh-lite 0.3.0, JupyterHub 6.1.1" in text and "up 16m" in text
    assert "Certificate: expires 2027-01-30 (63 days left)" in text
    assert "ada" in text and "100 MiB" in text and "150 MiB" in text and "0.25" in text and "90s" in text
    assert "disk    /home: 1.0 of 10.0 GiB (10 %)" in text and "last sample 30s ago" in text
    assert text.endswith("All well.")


def test_the_command_on_a_machine_without_tljh_lite_exits_1_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path / "opt"))
    config = tmp_path / "config.yaml"
    config.write_text("")
    assert lite.main(["status", "--config-path", str(config)]) == 1
    out = capsys.readouterr()
    assert "Needs you: tljh-lite is not fully installed here" in out.out and "Traceback" not in out.out + out.err
    assert lite.main(["status", "--json", "--config-path", str(config)]) == 1
    assert json.loads(capsys.readouterr().out)["missing"]
