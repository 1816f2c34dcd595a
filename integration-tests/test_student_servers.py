"""A student's server as it starts and lives (docs/performance.md), on the shared `hub`: JupyterHub's
single-user server without the hub's database layer, no Node.js for students (JupyterLab ran it at
every start), idle kernels shut down by the server itself while busy ones never are, and a kernel
past limits.memory killed alone. The module sets what it proves once, for one start of her server,
and puts it back at the end.
"""

from __future__ import annotations

import threading
import time

import pytest

from hubclient import HubClient
from installed import InstalledHub

KIM, KIM_PASSWORD = "kim", "kim-first-password"
SITE = "/opt/tljh/{}/lib/python3*/site-packages"
# Set once for the module, so her server starts under them once: kernels idle 20 s are shut down
# (checked every 5 s), and a kernel past 300M is killed.
SETTINGS = {"services.cull.kernel_timeout": "20", "services.cull.every": "5", "limits.memory": "300M"}


@pytest.fixture(scope="module")
def kim(hub: InstalledHub):
    hub.tljh_config("add-item", "users.allowed", KIM)
    for key, value in SETTINGS.items():
        hub.tljh_config("set", key, value)
    hub.tljh_config("reload")
    try:
        client = hub.logged_in(KIM, KIM_PASSWORD)
        client.start_server()
        yield client
    finally:
        hub.sh(f"systemctl stop jupyter-{KIM}", check=False)
        for key in SETTINGS:
            hub.tljh_config("unset", key)
        hub.tljh_config("remove-item", "users.allowed", KIM)
        hub.tljh_config("reload")


def kernels(client: HubClient) -> dict[str, str]:
    """Her kernels now: id -> execution state."""
    listed = client.get(f"user/{client.username}/api/kernels")
    listed.raise_for_status()
    return {k["id"]: k["execution_state"] for k in listed.json()}


def new_kernel(client: HubClient) -> str:
    made = client.session.post(client.url(f"user/{client.username}/api/kernels"), json={"name": "python3"},
                               headers=client._server_headers(), timeout=60)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_her_server_loads_no_database_layer_and_the_hubs_environment_keeps_its_own(hub, kim):
    assert "JupyterHub's single-user server trimmed" in hub.sh("cat /opt/tljh/installer.log").stdout
    assert kim.run_code("5 * 4") == "20"  # a kernel, the hub's OAuth, her activity: all through the trimmed server
    pid = hub.unit_property(f"jupyter-{KIM}", "MainPID")
    mapped = hub.sh(f"cat /proc/{pid}/maps").stdout
    assert "site-packages/sqlalchemy/" not in mapped  # SQLAlchemy's compiled parts load with it
    assert "site-packages/aiohttp/" in mapped  # what the server does use is there
    # The hub's own JupyterHub is untouched: uv hard-links both environments to its cache.
    assert "lazy_module" not in hub.sh(f"cat {SITE.format('hub')}/jupyterhub/scopes.py").stdout
    assert "lazy_module" in hub.sh(f"cat {SITE.format('user')}/jupyterhub/scopes.py").stdout


def test_a_student_finds_no_node_and_an_admin_does(hub, kim):
    said = kim.run_in_terminal("node --version; echo rc=$?")
    assert "Permission denied" in said and "rc=126" in said, said
    admin = hub.admin()
    admin.start_server()
    assert admin.run_in_terminal("node --version").startswith("v")  # an admin's apt must upgrade it


def test_an_idle_kernel_is_shut_down_by_her_server_and_a_busy_one_never(hub, kim):
    idle, busy = new_kernel(kim), new_kernel(kim)
    assert kim._execute(idle, "x = 41 + 1; print(x)", 60) == "42"
    # Her notebook tab stays open on the idle kernel: an open tab does not keep it.
    tab = kim._websocket(f"user/{KIM}/api/kernels/{idle}/channels", 120)
    outcome: list[str] = []
    computing = threading.Thread(target=lambda: outcome.append(_outcome(kim._execute, busy, "import time; "
                                                                        "time.sleep(600)", 300)))
    computing.start()
    deadline = time.monotonic() + 120
    while idle in kernels(kim):
        assert time.monotonic() < deadline, "the idle kernel was not shut down"
        time.sleep(2)
    time.sleep(12)  # two more of the server's checks: computing longer than the timeout is not idleness
    assert kernels(kim).get(busy) == "busy"
    tab.close()
    interrupted = kim.session.post(kim.url(f"user/{KIM}/api/kernels/{busy}/interrupt"),
                                   headers=kim._server_headers(), timeout=60)
    assert interrupted.status_code == 204, interrupted.text
    computing.join(timeout=120)
    assert outcome and "KeyboardInterrupt" in outcome[0], outcome  # the cell ran until she stopped it
    assert hub.unit_property(f"jupyter-{KIM}", "ActiveState") == "active"  # her server lives on


def _outcome(*call) -> str:
    try:
        return str(call[0](*call[1:]))
    except Exception as error:
        return str(error)


def test_a_kernel_past_limits_memory_is_killed_alone(hub, kim):
    # With swap (zram), half as much again may go there, and no more (students/unit.py).
    assert hub.unit_property(f"jupyter-{KIM}", "MemorySwapMax") == str(150 * 2**20)
    kernel = new_kernel(kim)
    assert kim._execute(kernel, "before = 'set'; print(before)", 60) == "set"
    # The cell never gets a reply: its kernel is killed. (On a thread: a websocket that keeps
    # receiving the server's pings could wait on it for ever.)
    threading.Thread(target=_outcome, args=(kim._execute, kernel, "hog = b'x' * (600 * 2**20)", 60),
                     daemon=True).start()
    since, deadline = int(time.time()) - 5, time.monotonic() + 120
    while "restarting kernel" not in hub.sh(f"journalctl -u jupyter-{KIM} -o cat --no-pager --since @{since}").stdout:
        assert time.monotonic() < deadline, "the kernel was not killed"
        time.sleep(2)
    assert hub.unit_property(f"jupyter-{KIM}", "ActiveState") == "active"  # her server survived
    # The server restarted the killed kernel (same id, nothing left of what it held): killed, not refused.
    assert kernel in kernels(kim)
    assert kim._execute(kernel, "print('before' in dir())", 60) == "False"
    assert kim.run_code("print('still here')") == "still here"
