"""Student servers: tljh-lite against the raw stack, measured in the same run.

    sudo .venv-test/bin/python bench/servers.py [--release bookworm] [--runs 3] [--burst 10 30 50]
                                                [--burst-runs 3] [--markdown FILE] [--record [VERSION]]

Three fresh systemd containers (integration harness), no memory limit, 2 cores,
up side by side and measured in turns (each figure from one stack, then the
next), so that all three see the same machine when other work shares it:
  - tljh-lite, installed with bootstrap (FirstUseAuthenticator: each
    student's first login sets a bcrypt password, as in class);
  - the raw stack: a plain venv with jupyterhub, jupyterhub-systemdspawner
    and jupyterlab, default settings, JupyterHub starting its own
    configurable-http-proxy (Debian's), DummyAuthenticator, SystemdSpawner
    with dynamic users (no account creation). Twice: with JupyterHub's
    default timeouts, and (a second container) with tljh-lite's 600 s start
    and HTTP timeouts, so a burst can be compared with one that does not fail.
Figures:
  - one student: login form -> server ready -> JupyterLab page through the
    proxy (median of --runs);
  - a class burst of N students at once, --burst-runs times with new
    students each time: time until the last is ready (median of the runs),
    failures (all runs), per-student median and p90 (all runs pooled);
  - memory: per idle server (systemd MemoryCurrent), and hub, idle culler
    and proxy each (anonymous memory, from /proc/PID/smaps_rollup; the
    cgroup's MemoryCurrent also counts page cache).
Waiting for a server follows the hub's progress event stream, as the
browser's spawn page does.
Then the change from the previous release's figures (bench/releases/, see
releases.py), naming every figure more than 10 % worse; --record writes this
run's figures as the current version's record (do it when releasing; --record
0.4.0 before the version number in the package is raised).
All traffic goes to 127.0.0.1 (published container ports); request counts and
waits are bounded (--timeout per burst).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from containers import Container  # noqa: E402
from engine import RELEASES, ensure_dockerd, ensure_image  # noqa: E402
from hubclient import HubClient, wait_for_hub  # noqa: E402
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub, copy_checkout  # noqa: E402
import releases  # noqa: E402
import report  # noqa: E402

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
PATIENT = "c.Spawner.start_timeout = 600\nc.Spawner.http_timeout = 600\n"  # tljh-lite's (hubconfig.py)
RAW_HUB = ("systemd-run --unit raw-hub --working-directory /srv/raw -E PATH=/srv/raw/bin:/usr/bin:/bin "
           "/srv/raw/bin/jupyterhub -f /srv/raw/jupyterhub_config.py")

# Run in the container by its own python3: every process of the given units,
# with what it is and its anonymous memory (MiB, proportional share).
PROCESS_MEMORY = r"""
import json, os, sys
units = sys.argv[1:]
out = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        cgroup = open(f"/proc/{pid}/cgroup").read()
        unit = next((u for u in units if f"/{u}.service" in cgroup), None)
        if unit is None:
            continue
        cmd = open(f"/proc/{pid}/cmdline").read().replace("\0", " ")
        fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/smaps_rollup").read().splitlines()[1:])
    except OSError:
        continue
    out.append({"cmd": cmd, "anon_mib": int(fields["Pss_Anon"].split()[0]) / 1024})
print(json.dumps(out))
"""
PROCESS_KINDS = [("jupyterhub_idle_culler", "idle culler"), ("configurable-http-proxy", "proxy"),
                 ("jupyterhub", "hub")]


@dataclass
class Stack:
    name: str
    container: Container
    url: str
    password: str
    hub_units: list[str]
    unit_of: callable
    prepare_students: callable = lambda names: None
    restart: callable = None  # (extra hub config) -> None, where the stack can take more config


def start_raw(image: str) -> Stack:
    with removed_on_failure(Container.start(image, port=80)) as container:
        return _setup_raw(container)


def _setup_raw(container: Container) -> Stack:
    container.wait_for_systemd()
    container.exec("apt-get update -q && apt-get install -y -q --no-install-recommends node-configurable-http-proxy",
                   timeout=900)
    container.exec("export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt; "
                   "python3 -m venv /srv/raw && /srv/raw/bin/pip install -q uv && /srv/raw/bin/uv pip install -q "
                   "--python /srv/raw/bin/python3 jupyterhub jupyterhub-systemdspawner jupyterlab", timeout=1200)
    container.write_file("/srv/raw/jupyterhub_config.py", RAW_CONFIG)
    container.exec(RAW_HUB)
    url = f"http://127.0.0.1:{container.host_port}/"
    wait_for_hub(url, timeout=120)

    def restart(extra_config: str) -> None:
        container.exec("systemctl stop raw-hub 'jupyter-*-singleuser.service'", check=False)
        container.write_file("/srv/raw/jupyterhub_config.py", RAW_CONFIG + extra_config)
        container.exec(RAW_HUB)
        wait_for_hub(url, timeout=120)

    return Stack("raw stack", container, url, RAW_PASSWORD, ["raw-hub"], lambda n: f"jupyter-{n}-singleuser",
                 restart=restart)


def start_tljh_lite(image: str) -> Stack:
    with removed_on_failure(Container.start(image, port=80)) as container:
        return _setup_tljh_lite(container)


@contextlib.contextmanager
def removed_on_failure(container: Container):
    try:
        yield container
    except BaseException:
        container.remove()
        raise


def _setup_tljh_lite(container: Container) -> Stack:
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


def one_student(stack: Stack, name: str) -> float:
    """Login form to a JupyterLab page served through the proxy, in seconds."""
    start = time.monotonic()
    client = HubClient(stack.url)
    if not client.login(name, stack.password):
        raise RuntimeError(f"{name} could not log in to {stack.name}")
    client.start_server(timeout=600)
    page = client.open_server()
    if "/lab" not in page.url or page.status_code != 200:
        raise RuntimeError(f"{name} got {page.status_code} {page.url}")
    return time.monotonic() - start


def burst(stack: Stack, names: list[str], timeout: float) -> tuple[float, list[float], int]:
    """Everyone at once: (time until the last is ready, per-student times, failures)."""
    barrier = threading.Barrier(len(names))
    deadline = time.monotonic() + timeout
    failed: list[str] = []

    def student(name: str) -> float | None:
        barrier.wait()
        try:
            seconds = one_student(stack, name)
        except Exception as e:  # counted as a failure; the first of a burst is shown
            if not failed:
                failed.append(f"{stack.name}: {name}: {e!r}"[:300])
                print(f"  first failure: {failed[0]}", file=sys.stderr, flush=True)
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


def process_memory(stack: Stack) -> dict[str, float]:
    """Anonymous MiB of the hub, idle culler and proxy processes (0 for what a stack does not run)."""
    found = json.loads(stack.container.exec(["python3", "-c", PROCESS_MEMORY, *stack.hub_units]).stdout)
    totals = {kind: 0.0 for _, kind in PROCESS_KINDS}
    for process in found:
        kind = next(kind for marker, kind in PROCESS_KINDS + [("", "hub")] if marker in process["cmd"])
        totals[kind] += process["anon_mib"]
    return totals


def _or_nan(measure_one, *args) -> float:
    """A failure is a figure too (nan: shown as -), not the end of the run."""
    try:
        return measure_one(*args)
    except Exception as e:
        print(f"  failed: {e!r}"[:300], file=sys.stderr, flush=True)
        return float("nan")


def stop_all(stack: Stack, names: list[str]) -> None:
    for name in names:
        stack.container.exec(["systemctl", "stop", stack.unit_of(name)], check=False)


@dataclass
class Bursts:
    """One burst size, run several times."""

    totals: list[float] = field(default_factory=list)  # until the last was ready, per run (nan: someone failed)
    times: list[float] = field(default_factory=list)  # every ready student, all runs
    failures: int = 0


def measure(stacks: dict[str, tuple[Stack, str]], runs: int, bursts: list[int], burst_runs: int,
            timeout: float) -> dict[str, dict]:
    """Everything for every stack, in turns: each figure is taken from one stack, then the next, so
    that all of them see the same machine (on a shared machine the load changes by the minute).
    `stacks` maps a name to (stack, tag); the tag keeps its students' names apart."""
    out: dict[str, dict] = {name: {} for name in stacks}
    singles = {name: [f"{tag}solo{i}" for i in range(runs)] for name, (_, tag) in stacks.items()}
    groups = {name: {(n, r): [f"{tag}b{n}r{r}x{i}" for i in range(n)] for n in bursts for r in range(burst_runs)}
              for name, (_, tag) in stacks.items()}
    for name, (stack, _) in stacks.items():
        stack.prepare_students(singles[name] + [who for names in groups[name].values() for who in names])
    for i in range(runs):
        for name, (stack, _) in stacks.items():
            out[name].setdefault("one", []).append(_or_nan(one_student, stack, singles[name][i]))
    time.sleep(IDLE_SETTLE_SECONDS)  # idle: logged in, JupyterLab loaded, nobody typing
    for name, (stack, _) in stacks.items():
        out[name]["idle_server_mib"] = statistics.median(memory_mib(stack, stack.unit_of(who)) for who in singles[name])
        out[name]["hub_mib"] = sum(memory_mib(stack, u) for u in stack.hub_units)
        out[name]["processes"] = process_memory(stack)
        stop_all(stack, singles[name])
    for n in bursts:
        for r in range(burst_runs):
            for name, (stack, _) in stacks.items():
                names = groups[name][(n, r)]
                result = out[name].setdefault(f"burst{n}", Bursts())
                total, times, failures = burst(stack, names, timeout)
                result.totals.append(total if failures == 0 else float("nan"))  # nobody waits for a failed student
                result.times += times
                result.failures += failures
                stop_all(stack, names)
                print(f"{name}: burst of {n}: {total:.1f} s, {failures} failed", flush=True)
    return out


def rows(results: dict[str, dict], runs: int, bursts: list[int], burst_runs: int) -> list[tuple]:
    """(label, value per stack...) in the order of `results`."""
    stacks = list(results.values())

    def row(label, pick):
        return (label, *[pick(r) for r in stacks])

    out = [
        row(f"one student: login to JupyterLab (s, median of {runs}; - if any failed)",
            lambda r: _median_unless_failed(r["one"])),
        row("idle server memory (MiB, median, MemoryCurrent)", lambda r: r["idle_server_mib"]),
        row("hub + proxy units (MiB, MemoryCurrent: page cache included)", lambda r: r["hub_mib"]),
        row("hub + culler + proxy processes (MiB anonymous)", lambda r: sum(r["processes"].values())),
    ]
    for _, kind in PROCESS_KINDS[::-1]:
        out.append(row(f"&nbsp;&nbsp;{kind} process (MiB anonymous)", lambda r, k=kind: r["processes"][k]))
    for n in bursts:
        out.append(row(f"burst of {n}: until the last is ready (s, median of {burst_runs}; - if any failed)",
                       lambda r, n=n: _median_unless_failed(r[f"burst{n}"].totals)))
        out.append(row(f"burst of {n}: failures (of {n * burst_runs})", lambda r, n=n: r[f"burst{n}"].failures))
        for q, label in ((0.5, "median"), (0.9, "p90")):
            out.append(row(f"burst of {n}: per-student {label} (s, of those ready)",
                           lambda r, n=n, q=q: _quantile(r[f"burst{n}"].times, q)))
    return out


def table(results: dict[str, dict], runs: int, bursts: list[int], burst_runs: int) -> list[str]:
    names = list(results)
    ours = names.index("tljh-lite")
    baselines = [i for i in range(len(names)) if i != ours]
    header = ["figure", *names] + [f"tljh-lite / {names[i]}" for i in baselines]
    with_ratios = [(label, *values, *(_ratio(values[ours], values[i]) for i in baselines))
                   for label, *values in rows(results, runs, bursts, burst_runs)]
    return report.table(header, with_ratios)


def _median_unless_failed(totals: list[float]) -> float:
    return float("nan") if any(t != t for t in totals) else statistics.median(totals)


def _ratio(ours, base) -> str:
    ok = isinstance(ours, float) and isinstance(base, float) and base > 0 and ours == ours and base == base
    return f"{ours / base:.2f}" if ok else ""


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def release_values(results: dict[str, dict], bursts: list[int]) -> dict[str, dict[str, float]]:
    """This run's figures as a release record holds them (releases.py): tljh-lite's and the baseline's,
    the raw stack with its defaults, or for the bursts (which it fails) with 600 s timeouts."""
    ours, raw, patient = results["tljh-lite"], results["raw stack"], results["raw stack, 600 s timeouts"]
    picks = {
        "login_s": lambda r: _median_unless_failed(r["one"]),
        "idle_server_mib": lambda r: r["idle_server_mib"],
        "hub_process_mib": lambda r: r["processes"]["hub"],
        "hub_culler_proxy_mib": lambda r: sum(r["processes"].values()),
    }
    values = {key: {"tljh-lite": pick(ours), "baseline": pick(raw)} for key, pick in picks.items()}
    if values["login_s"]["baseline"] != values["login_s"]["baseline"]:
        # Its 30 s HTTP timeout failed a student (a loaded machine): the same stack given 600 s instead.
        values["login_s"]["baseline"] = picks["login_s"](patient)
    for n in bursts:
        last = lambda r, n=n: _median_unless_failed(r[f"burst{n}"].totals)  # noqa: E731
        values[f"burst{n}_last_s"] = {"tljh-lite": last(ours), "baseline": last(patient)}
        values[f"burst{n}_failures"] = {"tljh-lite": ours[f"burst{n}"].failures, "baseline": patient[f"burst{n}"].failures}
    return values


def release_lines(values: dict[str, dict[str, float]], bursts: list[int], record: str | None, how: str) -> list[str]:
    """The change from the previous release, and this run's record written as version `record` if asked."""
    version = record or releases.current_version()
    before = releases.previous(releases.load_all(), version, recording=record is not None)
    lines = [""]
    if before is None:
        lines.append(f"No earlier release recorded in bench/releases/ to compare {version} with.")
    else:
        rows, worse = releases.changes(before, values, bursts)
        lines += [f"Change from {before['version']} (recorded {before['recorded']}: {before['how']})", ""]
        lines += report.table(["figure", before["version"], f"{version} now", "change"], rows)
        lines.append("")
        lines += ([f"More than {releases.WORSE_BY:.0%} worse than {before['version']}: " + "; ".join(worse)] if worse
                  else [f"Nothing is more than {releases.WORSE_BY:.0%} worse than {before['version']}."])
    if record is not None:
        path = releases.write(releases.record(version, values, how))
        lines.append(f"Recorded as {version}'s figures: {path.relative_to(releases.HERE.parent)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=RELEASES, default="bookworm")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burst", type=int, nargs="*", default=[10, 30, 50])
    parser.add_argument("--burst-runs", type=int, default=3, help="how many times each burst size is run")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for each burst")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--record", nargs="?", const=releases.current_version(), metavar="VERSION",
                        help="write this run's figures as VERSION's release record (bench/releases/; default: this "
                             "checkout's version, for a release whose number is not yet in tljh_lite/__init__.py: give it)")
    args = parser.parse_args()
    # A TERM (timeout, kill) unwinds like Ctrl-C, so the three containers are always removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_dockerd()
    image = ensure_image(args.release)
    # All three side by side (their own containers), measured in turns: see measure().
    raw = start_raw(image)  # each start removes its container if it fails
    stacks: list[Stack] = [raw]
    try:
        patient = start_raw(image)
        stacks.append(patient)
        patient.restart(PATIENT)
        ours = start_tljh_lite(image)
        stacks.append(ours)
        results = measure({"raw stack": (raw, "d"), "raw stack, 600 s timeouts": (patient, "p"), "tljh-lite": (ours, "t")},
                          args.runs, args.burst, args.burst_runs, args.timeout)
    finally:
        for stack in stacks:
            stack.container.remove()
    header = [f"Student servers, Debian {args.release} containers, 2 cores, {time.strftime('%Y-%m-%d')}", ""]
    how = (f"bench/servers.py --runs {args.runs} --burst {' '.join(map(str, args.burst))} --burst-runs "
           f"{args.burst_runs}, Debian {args.release}; baseline: the raw stack in the same run (bursts: with 600 s timeouts)")
    comparison = release_lines(release_values(results, args.burst), args.burst, args.record, how)
    report.emit(header + table(results, args.runs, args.burst, args.burst_runs) + comparison, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
