"""Students per VM: how many working students fit a 4 GB, 2-core machine, tljh-lite and the raw stack.

    sudo .venv-test/bin/python bench/class_capacity.py [--release bookworm] [--start 10] [--step 10]
                                                       [--max 80] [--markdown FILE]

Two fresh systemd containers limited to --memory=4g and 2 CPUs (the VM a
small school rents), built as bench/servers.py builds them: tljh-lite with
bootstrap, and the raw stack (plain JupyterHub + SystemdSpawner + JupyterLab).
Both get pandas and matplotlib in the students' environment, as a course
would, and a 10 MB CSV every student reads.

For N = --start, --start + --step, ...: N students log in at once, start
their servers, and each works through a lesson in her own kernel, with a
few seconds of reading between cells:
  1. load the CSV with pandas;
  2. group it and plot the groups with matplotlib (to a PNG);
  3. a Python loop over three million items;
twice. Every cell's time is measured from the client (execute request to
reply). N passes when nobody failed and the p95 cell time is at most 2 s;
the largest N that passes is the figure, for each stack, in the same run.

Long: each N takes a few minutes on 2 cores. Bounded: --max students, a
timeout per round, every request to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from containers import Container  # noqa: E402
from engine import RELEASES, ensure_dockerd, ensure_image  # noqa: E402
from hubclient import HubClient  # noqa: E402
import report  # noqa: E402
from servers import Stack, _setup_raw, _setup_tljh_lite, removed_on_failure, stop_all  # noqa: E402

MEMORY, CPUS = "4g", 2
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
    with removed_on_failure(limited(Container.start(image, port=80, memory=MEMORY))) as container:
        stack = _setup_tljh_lite(container) if kind == "tljh-lite" else _setup_raw(container)
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


def capacity(stack: Stack, tag: str, sizes: list[int]) -> tuple[int, list[tuple]]:
    best, rows = 0, []
    for n in sizes:
        p95, failed = round_of(stack, n, tag)
        ok = failed == 0 and p95 <= P95_LIMIT
        rows.append((stack.name, n, p95, failed, "yes" if ok else "no"))
        print(f"{stack.name}: {n} students, p95 cell {p95:.2f} s, {failed} failed", flush=True)
        if not ok:
            break
        best = n
    return best, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=RELEASES, default="bookworm")
    parser.add_argument("--start", type=int, default=10)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max", type=int, default=80)
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    ensure_dockerd()
    image = ensure_image(args.release)
    sizes = list(range(args.start, args.max + 1, args.step))
    results, rows = {}, []
    for kind, tag in (("raw stack", "r"), ("tljh-lite", "t")):
        stack = start(kind, image)
        try:
            results[kind], found = capacity(stack, tag, sizes)
            rows += found
        finally:
            stack.container.remove()
    header = [f"Working students on {MEMORY} and {CPUS} CPUs, Debian {args.release}, {time.strftime('%Y-%m-%d')} "
              f"(pass: nobody fails and p95 cell time <= {P95_LIMIT:g} s)", ""]
    lines = header + report.table(["stack", "students", "p95 cell s", "failed", "pass"], rows)
    lines += ["", *report.table(["stack", "most working students"], [(k, v) for k, v in results.items()])]
    if results.get("raw stack"):
        lines.append(f"\ntljh-lite / raw stack: {results['tljh-lite'] / results['raw stack']:.2f}")
    else:
        lines.append(f"\nThe raw stack passed none of the sizes tried (from {sizes[0]}).")
    report.emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
