"""Students per VM: how many working students fit a 4 GB, 2-core machine, tljh-lite and the raw stack.

    sudo .venv-test/bin/python bench/class_capacity.py [--release bookworm] [--start 10] [--step 10]
                                                       [--max 80] [--zram] [--markdown FILE]

Two fresh systemd containers limited to --memory=4g and 2 CPUs (the VM a
small school rents), built as bench/servers.py builds them: tljh-lite with
bootstrap, and the raw stack (plain JupyterHub + SystemdSpawner + JupyterLab),
given tljh-lite's 600 s timeouts so that memory is what is compared.
Both get pandas and matplotlib in the students' environment, as a course
would, and a 10 MB CSV every student reads.

For N = --start, --start + --step, ...: N students log in at once, start
their servers, and each works through a lesson in her own kernel, with a
few seconds of reading between cells:
  1. load the CSV with pandas;
  2. group it and plot the groups with matplotlib (to a PNG);
  3. a Python loop over three million items;
twice. Every cell's time is measured from the client (execute request to
reply). N passes when nobody failed and the p95 cell time is at most 2 s
(--p95-limit: on a machine other work shares, the CPU others take would
decide instead of memory); the largest N that passes is the figure, for each
stack, in the same run.

Next to N, the machine's limit for the lesson (issue 22):

    limit = (VM memory - the hub's own processes - the OS) / one lesson kernel's own memory

that is, as many students as there would be with nothing per student but her
kernel. Measured in each stack's own container before the class arrives: its
anonymous memory at rest (the OS, the hub, the proxy: the container cgroup's
rss), and one student who runs the lesson alone (her kernel's Pss_Anon after
it). N / limit is how close the stack comes to the machine.

--zram also runs tljh-lite with compressed swap in memory (zram), set up on
this host for that part of the run and removed after it (swap is not
namespaced, so a container cannot have its own). Fair to the 4 GB VM: the
compressed pool is capped (zram mem_limit) and the container gets 4 GB minus
that cap, so pool and container never hold more than the VM would. Because
the host's swap is global, it refuses while other containers run (other test
runs would swap into it); --zram-despite-others overrides.

Long: each N takes a few minutes on 2 cores. Bounded: --max students, a
timeout per round, every request to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import json  # noqa: E402
import subprocess  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from containers import Container  # noqa: E402
from engine import LABEL_PID, RELEASES, docker_client, ensure_dockerd, ensure_image  # noqa: E402
from hubclient import HubClient  # noqa: E402
import report  # noqa: E402
from servers import PATIENT, PROCESS_MEMORY, Stack, _setup_raw, _setup_tljh_lite, removed_on_failure, stop_all  # noqa: E402

MEMORY_MIB, CPUS = 4096, 2
ZRAM_DISKSIZE_MIB = 2048  # half the VM, systemd-zram-generator's default (ram / 2)
ZRAM_POOL_CAP_MIB = 768  # the compressed pool's cap: 2 GiB of pages at about 3:1, with room
P95_LIMIT = 2.0
THINK_SECONDS = (3, 8)
ROUND_TIMEOUT = 900
DATA = "/srv/lesson/data.csv"
MAKE_DATA = f"""
import csv, os, random
os.makedirs(os.path.dirname("{DATA}"), exist_ok=True)
random.seed(1)
with open("{DATA}", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "group", "value", "label"])
    i = 0
    while f.tell() < 10 * 1024 * 1024:
        w.writerow([i, f"g{{random.randrange(40)}}", round(random.gauss(50, 15), 3), random.choice("abcdefgh") * 8])
        i += 1
os.chmod("{DATA}", 0o644)
"""
LESSON = [
    "import pandas as pd\ndf = pd.read_csv('/srv/lesson/data.csv')\nprint(len(df))",
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "g = df.groupby('group')['value'].agg(['mean', 'count'])\nax = g['mean'].plot(kind='bar')\n"
    "plt.savefig('/tmp/groups.png')\nplt.close('all')\nprint(len(g))",
    "s = 0\nfor i in range(3_000_000):\n    s += i % 7\nprint(s)",
]
FAILURES: list[str] = []
STUDENT_ENV = {"tljh-lite": "/opt/tljh/user/bin/python3", "raw stack": "/srv/raw/bin/python3"}


def limited(container: Container) -> Container:
    """The VM: 4 GB and 2 CPUs (docker's memory limit at start, the CPU quota now)."""
    container._container.update(cpu_period=100_000, cpu_quota=CPUS * 100_000)
    return container


def start(kind: str, image: str) -> Stack:
    with removed_on_failure(limited(Container.start(image, port=80, memory=f"{MEMORY_MIB}m"))) as container:
        stack = _setup_tljh_lite(container) if kind == "tljh-lite" else _setup_raw(container)
        if kind == "raw stack":
            # tljh-lite's 600 s start and HTTP timeouts, so that what is compared is memory: with
            # JupyterHub's 30 s, a class arriving at once fails on a busy machine before memory counts
            # (bench/servers.py measures that).
            stack.restart(PATIENT)
        python = STUDENT_ENV[kind]
        container.exec(f"export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt; {python} -m pip install -q "
                       "pandas matplotlib", timeout=1200)
        container.exec(["python3", "-c", MAKE_DATA])
        return stack


def student(stack: Stack, name: str, barrier: threading.Barrier, deadline: float) -> list[float] | None:
    """One student's lesson: her cell times, or None if anything failed."""
    barrier.wait()
    try:
        client = HubClient(stack.url)
        if not client.login(name, stack.password):
            return None
        client.start_server(timeout=max(10, deadline - time.monotonic()))
        kernel = client.session.post(client.url(f"user/{name}/api/kernels"), json={"name": "python3"},
                                     headers=client._server_headers(), timeout=300)
        kernel.raise_for_status()
        times = []
        for _ in range(2):  # one kernel for the whole lesson, as a notebook has
            for cell in LESSON:
                time.sleep(random.uniform(*THINK_SECONDS))
                began = time.monotonic()
                client._execute(kernel.json()["id"], cell, max(10, deadline - time.monotonic()))
                times.append(time.monotonic() - began)
        return times
    except Exception as e:  # counted as a failure; the first of a round is shown
        FAILURES.append(f"{name}: {e!r}"[:300])
        return None


def round_of(stack: Stack, n: int, tag: str) -> tuple[float, int]:
    """N students at once: (p95 cell time, failures)."""
    names = [f"cap{tag}{n}x{i:03d}" for i in range(n)]
    stack.prepare_students(names)
    barrier = threading.Barrier(n)
    deadline = time.monotonic() + ROUND_TIMEOUT
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(lambda name: student(stack, name, barrier, deadline), names))
    stop_all(stack, names)
    if FAILURES:
        print(f"  first failure of {len(FAILURES)}: {FAILURES[0]}", flush=True)
        FAILURES.clear()
    cells = sorted(t for r in results if r for t in r)
    p95 = cells[min(len(cells) - 1, int(0.95 * len(cells)))] if cells else float("nan")
    return p95, sum(r is None for r in results)


def capacity(stack: Stack, label: str, tag: str, sizes: list[int], p95_limit: float) -> tuple[int, list[tuple]]:
    best, rows = 0, []
    for n in sizes:
        p95, failed = round_of(stack, n, tag)
        ok = failed == 0 and p95 <= p95_limit
        rows.append((label, n, p95, failed, "yes" if ok else "no"))
        print(f"{label}: {n} students, p95 cell {p95:.2f} s, {failed} failed", flush=True)
        if not ok:
            break
        best = n
    return best, rows


@dataclass(frozen=True)
class MachineLimit:
    base_mib: float  # the OS, the hub and the proxy at rest (the container's anonymous memory)
    kernel_mib: float  # one lesson kernel's own memory

    @property
    def students(self) -> int:
        return int((MEMORY_MIB - self.base_mib) // self.kernel_mib)


def container_anon_mib(container: Container) -> float:
    """The container's anonymous memory (its cgroup's rss: no page cache), read on the host."""
    for path, key in ((f"/sys/fs/cgroup/memory/docker/{container.id}/memory.stat", "total_rss"),
                      (f"/sys/fs/cgroup/system.slice/docker-{container.id}.scope/memory.stat", "anon")):
        try:
            fields = dict(line.split() for line in Path(path).read_text().splitlines())
        except FileNotFoundError:
            continue
        return int(fields[key]) / 2**20
    return float("nan")


def lesson_kernel_mib(stack: Stack, tag: str) -> float:
    """One student runs the lesson alone, once; her kernel's anonymous memory after it."""
    name = f"cap{tag}probe"
    stack.prepare_students([name])
    client = HubClient(stack.url)
    if not client.login(name, stack.password):
        raise RuntimeError(f"{name} could not log in to {stack.name}")
    client.start_server(timeout=300)
    kernel = client.session.post(client.url(f"user/{name}/api/kernels"), json={"name": "python3"},
                                 headers=client._server_headers(), timeout=300)
    kernel.raise_for_status()
    for cell in LESSON:
        client._execute(kernel.json()["id"], cell, 300)
    found = json.loads(stack.container.exec(["python3", "-c", PROCESS_MEMORY, stack.unit_of(name)]).stdout)
    stop_all(stack, [name])
    return sum(p["anon_mib"] for p in found if "ipykernel" in p["cmd"])


def machine_limit(stack: Stack, tag: str) -> MachineLimit:
    base = container_anon_mib(stack.container)  # before anyone logs in
    limit = MachineLimit(base, lesson_kernel_mib(stack, tag))
    print(f"{stack.name}: at rest {limit.base_mib:.0f} MiB, one lesson kernel {limit.kernel_mib:.0f} MiB: "
          f"the machine's limit is {limit.students} students", flush=True)
    return limit


class HostZram:
    """Compressed swap in memory on this host for a `with` block, removed after it whatever happens."""

    def __init__(self, disksize_mib: int, pool_cap_mib: int):
        self.disksize_mib, self.pool_cap_mib, self.device = disksize_mib, pool_cap_mib, None

    def __enter__(self) -> "HostZram":
        if Path("/proc/swaps").read_text().strip().count("\n") > 0:
            raise RuntimeError("this host has swap already; --zram measures against none")
        number = Path("/sys/class/zram-control/hot_add").read_text().strip()
        self.device = f"zram{number}"
        block = Path("/sys/block") / self.device
        try:
            algorithms = (block / "comp_algorithm").read_text()
            (block / "comp_algorithm").write_text("zstd" if "zstd" in algorithms else "lzo-rle")
            (block / "disksize").write_text(f"{self.disksize_mib}M")
            (block / "mem_limit").write_text(f"{self.pool_cap_mib}M")
            subprocess.run(["mkswap", f"/dev/{self.device}"], check=True, capture_output=True)
            subprocess.run(["swapon", "-p", "100", f"/dev/{self.device}"], check=True, capture_output=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def algorithm(self) -> str:
        chosen = (Path("/sys/block") / self.device / "comp_algorithm").read_text()
        return chosen[chosen.index("[") + 1:chosen.index("]")]

    def stats_mib(self) -> dict[str, float]:
        """mm_stat (Documentation/admin-guide/blockdev/zram.rst): what was stored, and the pool's peak."""
        fields = [int(v) for v in (Path("/sys/block") / self.device / "mm_stat").read_text().split()[:5]]
        return {"stored": fields[0] / 2**20, "compressed": fields[1] / 2**20, "pool_peak": fields[4] / 2**20}

    def __exit__(self, *exc) -> None:
        if self.device is None:
            return
        subprocess.run(["swapoff", f"/dev/{self.device}"], capture_output=True)
        (Path("/sys/block") / self.device / "reset").write_text("1")
        Path("/sys/class/zram-control/hot_remove").write_text(self.device.removeprefix("zram"))
        self.device = None


def other_containers() -> list[str]:
    """Running containers this benchmark did not start (other test runs on this machine)."""
    return [c.name for c in docker_client().containers.list() if c.labels.get(LABEL_PID) != str(os.getpid())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=RELEASES, default="bookworm")
    parser.add_argument("--start", type=int, default=10)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max", type=int, default=80)
    parser.add_argument("--zram", action="store_true", help="also tljh-lite with zram swap (set up on this host)")
    parser.add_argument("--without-raw", action="store_true", help="tljh-lite only (with --zram: its two runs)")
    parser.add_argument("--p95-limit", type=float, default=P95_LIMIT,
                        help="seconds a cell may take at p95 for N to pass (raise it on a machine other work "
                             "shares: then what runs out first is memory, not the CPU others take)")
    parser.add_argument("--zram-despite-others", action="store_true",
                        help="set up zram even while other containers run on this host")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    # A TERM (timeout, kill) unwinds like Ctrl-C, so the host's zram is always removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_dockerd()
    image = ensure_image(args.release)
    sizes = list(range(args.start, args.max + 1, args.step))
    results, limits, rows, notes = {}, {}, [], []
    kinds = [("tljh-lite", "t")] if args.without_raw else [("raw stack", "r"), ("tljh-lite", "t")]
    for kind, tag in kinds:
        stack = start(kind, image)
        try:
            limits[kind] = machine_limit(stack, tag)
            results[kind], found = capacity(stack, kind, tag, sizes, args.p95_limit)
            rows += found
            if kind == "tljh-lite" and args.zram:
                label = "tljh-lite + zram"
                others = other_containers()
                if others and not args.zram_despite_others:
                    notes.append(f"{label}: not measured: other containers run on this host ({', '.join(others)}), "
                                 "and swap is the host's (--zram-despite-others)")
                else:
                    # Pool and container together never above the VM's memory.
                    stack.container._container.update(mem_limit=f"{MEMORY_MIB - ZRAM_POOL_CAP_MIB}m",
                                                      memswap_limit=f"{2 * MEMORY_MIB}m")
                    with HostZram(ZRAM_DISKSIZE_MIB, ZRAM_POOL_CAP_MIB) as zram:
                        results[label], found = capacity(stack, label, "z", sizes, args.p95_limit)
                        limits[label] = limits[kind]
                        stats = zram.stats_mib()
                        notes.append(f"{label}: zram {zram.algorithm()}, {ZRAM_DISKSIZE_MIB} MiB of swap whose pool "
                                     f"is capped at {ZRAM_POOL_CAP_MIB} MiB, container {MEMORY_MIB - ZRAM_POOL_CAP_MIB} "
                                     f"MiB; at the end {stats['stored']:.0f} MiB swapped out were held in "
                                     f"{stats['compressed']:.0f} MiB, the pool's peak {stats['pool_peak']:.0f} MiB")
                    rows += found
        finally:
            stack.container.remove()
    header = [f"Working students on {MEMORY_MIB // 1024} GB and {CPUS} CPUs, Debian {args.release}, "
              f"{time.strftime('%Y-%m-%d')} (pass: nobody fails and p95 cell time <= {args.p95_limit:g} s)", ""]
    lines = header + report.table(["stack", "students", "p95 cell s", "failed", "pass"], rows)
    summary = [(k, n, limits[k].students, f"{n / limits[k].students:.0%}" if limits[k].students else "-",
                f"{limits[k].base_mib:.0f}", f"{limits[k].kernel_mib:.0f}") for k, n in results.items()]
    lines += ["", *report.table(["stack", "most working students (N)", "machine's limit", "N / limit",
                                 "at rest MiB", "one lesson kernel MiB"], summary)]
    if results.get("raw stack"):
        lines.append(f"\ntljh-lite / raw stack: {results['tljh-lite'] / results['raw stack']:.2f}")
    elif not args.without_raw:
        lines.append(f"\nThe raw stack passed none of the sizes tried (from {sizes[0]}).")
    lines += [f"\n{note}" for note in notes]
    report.emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
