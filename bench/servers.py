"""Student servers: tljh-lite against the raw stack, measured in the same run.

    sudo .venv-test/bin/python bench/servers.py [--release bookworm] [--runs 3] [--burst 10 30 50] [--markdown FILE]

Two fresh systemd containers (integration harness), no memory limit, 2 cores:
  - tljh-lite, installed with bootstrap (FirstUseAuthenticator: each
    student's first login sets a bcrypt password, as in class);
  - the raw stack: a plain venv with jupyterhub, jupyterhub-systemdspawner
    and jupyterlab, default settings, JupyterHub starting its own
    configurable-http-proxy (Debian's), DummyAuthenticator, SystemdSpawner
    with dynamic users (no account creation).
Figures (medians over --runs where it says so):
  - one student: login form -> server ready -> JupyterLab page through the proxy;
  - a class burst of N students at once: time until the last is ready,
    failures, per-student distribution;
  - memory per idle server (systemd MemoryCurrent), hub and proxy memory.
All traffic goes to 127.0.0.1 (published container ports); request counts and
waits are bounded (--timeout per burst).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from hubclient import HubClient  # noqa: E402
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub, copy_checkout  # noqa: E402
from report import emit  # noqa: E402

RAW_PASSWORD = "bench-password"
IDLE_SETTLE_SECONDS = 20
RAW_CONFIG = f"""
c.JupyterHub.bind_url = "http://:80"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "{RAW_PASSWORD}"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
c.SystemdSpawner.dynamic_users = True
c.Spawner.cmd = ["/srv/raw/bin/jupyterhub-singleuser"]
c.ConfigurableHTTPProxy.command = ["/usr/bin/configurable-http-proxy"]
"""


@dataclass
class Stack:
    name: str
    container: harness.Container
    url: str
    password: str
    hub_units: list[str]
    unit_of: callable
    prepare_students: callable = lambda names: None
    used: set = field(default_factory=set)


def start_raw(image: str) -> Stack:
    with removed_on_failure(harness.Container.start(image, port=80)) as container:
        return _setup_raw(container)


def _setup_raw(container: harness.Container) -> Stack:
    container.wait_for_systemd()
    container.exec("apt-get update -q && apt-get install -y -q --no-install-recommends node-configurable-http-proxy",
                   timeout=900)
    container.exec("export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt; "
                   "python3 -m venv /srv/raw && /srv/raw/bin/pip install -q uv && /srv/raw/bin/uv pip install -q "
                   "--python /srv/raw/bin/python3 jupyterhub jupyterhub-systemdspawner jupyterlab", timeout=1200)
    container.write_file("/srv/raw/jupyterhub_config.py", RAW_CONFIG)
    container.exec("systemd-run --unit raw-hub --working-directory /srv/raw -E PATH=/srv/raw/bin:/usr/bin:/bin "
                   "/srv/raw/bin/jupyterhub -f /srv/raw/jupyterhub_config.py")
    url = f"http://127.0.0.1:{container.host_port}/"
    _wait_for(url)
    return Stack("raw stack", container, url, RAW_PASSWORD, ["raw-hub"], lambda n: f"jupyter-{n}-singleuser")


def start_tljh_lite(image: str) -> Stack:
    with removed_on_failure(harness.Container.start(image, port=80)) as container:
        return _setup_tljh_lite(container)


@contextlib.contextmanager
def removed_on_failure(container: harness.Container):
    try:
        yield container
    except BaseException:
        container.remove()
        raise


def _setup_tljh_lite(container: harness.Container) -> Stack:
    container.wait_for_systemd()
    copy_checkout(container)
    hub = InstalledHub(container, "", 0)
    hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}")

    def allow(names: list[str]) -> None:
        for name in names:
            hub.tljh_config("add-item", "users.allowed", name)
        hub.tljh_config("reload")

    return Stack("tljh-lite", container, hub.url, "student-password", ["jupyterhub", "configurable-http-proxy"],
                 lambda n: f"jupyter-{n}", allow)


def _wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            HubClient(url).api_version()
            return
        except Exception:
            time.sleep(1)
    raise RuntimeError(f"no hub at {url}")


def one_student(stack: Stack, name: str) -> float:
    """Login form to a JupyterLab page served through the proxy, in seconds."""
    start = time.monotonic()
    client = HubClient(stack.url)
    if not client.login(name, stack.password):
        raise RuntimeError(f"{name} could not log in to {stack.name}")
    client.start_server(timeout=600, poll=1.0)
    page = client.open_server()
    if "/lab" not in page.url or page.status_code != 200:
        raise RuntimeError(f"{name} got {page.status_code} {page.url}")
    return time.monotonic() - start


def burst(stack: Stack, names: list[str], timeout: float) -> tuple[float, list[float], int]:
    """Everyone at once: (time until the last is ready, per-student times, failures)."""
    barrier = threading.Barrier(len(names))
    deadline = time.monotonic() + timeout

    def student(name: str) -> float | None:
        barrier.wait()
        try:
            seconds = one_student(stack, name)
        except Exception:
            return None
        return seconds if time.monotonic() < deadline else None

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        results = list(pool.map(student, names))
    done = [r for r in results if r is not None]
    return time.monotonic() - start, done, len(results) - len(done)


def memory_mib(stack: Stack, unit: str) -> float:
    value = stack.container.exec(["systemctl", "show", "--value", "-p", "MemoryCurrent", unit]).stdout.strip()
    return int(value) / 2**20 if value.isdigit() else float("nan")


def stop_all(stack: Stack, names: list[str]) -> None:
    for name in names:
        stack.container.exec(["systemctl", "stop", stack.unit_of(name)], check=False)


def measure(stack: Stack, runs: int, bursts: list[int], timeout: float) -> dict:
    out: dict = {}
    singles = [f"solo{i}" for i in range(runs)]
    groups = {n: [f"b{n}x{i}" for i in range(n)] for n in bursts}
    stack.prepare_students(singles + [name for names in groups.values() for name in names])
    out["one"] = [one_student(stack, name) for name in singles]
    time.sleep(IDLE_SETTLE_SECONDS)  # idle: logged in, JupyterLab loaded, nobody typing
    out["idle_server_mib"] = statistics.median(memory_mib(stack, stack.unit_of(name)) for name in singles)
    out["hub_mib"] = sum(memory_mib(stack, u) for u in stack.hub_units)
    stop_all(stack, singles)
    for n, names in groups.items():
        out[f"burst{n}"] = burst(stack, names, timeout)
        stop_all(stack, names)
    return out


def table(results: dict[str, dict], runs: int, bursts: list[int]) -> list[str]:
    raw, ours = results["raw stack"], results["tljh-lite"]
    med = statistics.median
    rows = [
        ("one student: login to JupyterLab (s, median of %d)" % runs, med(raw["one"]), med(ours["one"])),
        ("idle server memory (MiB, median)", raw["idle_server_mib"], ours["idle_server_mib"]),
        ("hub + proxy memory (MiB)", raw["hub_mib"], ours["hub_mib"]),
    ]
    for n in bursts:
        r_total, r_times, r_fail = raw[f"burst{n}"]
        o_total, o_times, o_fail = ours[f"burst{n}"]
        rows.append((f"burst of {n}: until the last is ready (s)", r_total, o_total))
        rows.append((f"burst of {n}: failures", r_fail, o_fail))
        for q, label in ((0.5, "median"), (0.9, "p90")):
            rows.append((f"burst of {n}: per-student {label} (s)", _quantile(r_times, q), _quantile(o_times, q)))
    lines = ["| figure | raw stack | tljh-lite | tljh-lite / raw |", "| --- | ---: | ---: | ---: |"]
    for label, r, o in rows:
        ratio = f"{o / r:.2f}" if isinstance(r, float) and r else ""
        lines.append(f"| {label} | {_fmt(r)} | {_fmt(o)} | {ratio} |")
    return lines


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _fmt(value) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=harness.RELEASES, default="bookworm")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burst", type=int, nargs="*", default=[10, 30, 50])
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for each burst")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    harness.ensure_dockerd()
    image = harness.ensure_image(args.release)
    results = {}
    for start in (start_raw, start_tljh_lite):
        stack = start(image)  # each start removes its container if it fails
        try:
            results[stack.name] = measure(stack, args.runs, args.burst, args.timeout)
        finally:
            stack.container.remove()
    header = [f"Student servers, Debian {args.release} containers, 2 cores; one student: median of {args.runs}", ""]
    emit(header + table(results, args.runs, args.burst), args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
