"""The idle culler as tljh-lite runs it: one round of jupyterhub-idle-culler per tick of a
systemd timer (tljh_lite.culler). The rounds against a real hub are in integration-tests
(test_install.py, test_auth_native_tmp.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from tljh_lite.config.defaults import merged
from tljh_lite.culler.units import CULLER_TIMER, CULLER_UNIT, UNITS, culler_args, culler_service_unit, culler_timer_unit
from tljh_lite.paths import Paths
from tljh_lite.ports import HUB_URL
from tljh_lite.units.catalog import needed_units

PATHS = Paths()


def test_the_documented_defaults_reach_the_culler():
    assert culler_args(merged({})) == [
        f"--url={HUB_URL}/hub/api", "--timeout=3600", "--concurrency=5", "--max-age=0",
        "--cull-users=False", "--remove-named-servers=False",
    ]
    cull = {"timeout": 60, "every": 10, "concurrency": 2, "max_age": 7200, "users": False, "remove_named_servers": True}
    args = culler_args(merged({"services": {"cull": cull}, "base_url": "/jupyter/"}))
    for flag in (f"--url={HUB_URL}/jupyter/hub/api", "--timeout=60", "--concurrency=2", "--max-age=7200",
                 "--remove-named-servers=True"):
        assert flag in args


def test_culling_users_never_deletes_an_admin():
    assert "--cull-admin-users=False" in culler_args(merged({"services": {"cull": {"users": True}}}))
    assert not any("admin" in arg for arg in culler_args(merged({})))


def test_the_timer_ticks_every_services_cull_every_seconds():
    timer = culler_timer_unit(merged({"services": {"cull": {"every": 45}}}))
    assert "OnActiveSec=45s" in timer and "OnUnitActiveSec=45s" in timer and "AccuracySec=1s" in timer


def test_the_round_runs_with_a_credential_as_nobody_in_particular():
    unit = culler_service_unit(PATHS, merged({}))
    assert "ExecStart=/opt/tljh/hub/bin/python3 -I -m tljh_lite.culler.once --url=" in unit
    assert "LoadCredential=api-token:/opt/tljh/state/cull-idle-token" in unit
    assert "DynamicUser=yes" in unit and "Type=oneshot" in unit
    assert "token" not in unit.split("ExecStart=")[1].splitlines()[0]  # never on its command line


def test_both_units_are_wanted_only_while_culling_is_on():
    assert {u.name for u in UNITS} == {CULLER_UNIT, CULLER_TIMER}
    on, off = needed_units(merged({})), needed_units(merged({"services": {"cull": {"enabled": False}}}))
    assert on[CULLER_TIMER] and not off[CULLER_TIMER]
    assert not on[CULLER_UNIT]  # a oneshot: never active between rounds


def test_a_round_that_cannot_reach_the_hub_ends_at_once_and_fails():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tljh_lite.culler.once", "--retry-for=0", f"--url=http://127.0.0.1:{port}/hub/api",
                           "--timeout=60"], env={"JUPYTERHUB_API_TOKEN": "t0k", "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Connection refused" in done.stderr or "ConnectionRefused" in done.stderr, done.stderr
    assert time.monotonic() - began < 30  # one round, not the culler's loop
    assert "pycurl" not in done.stderr  # its advice at every start is not repeated every round
