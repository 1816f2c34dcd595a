"""Backup benchmark: `tljh-lite backup create` of a class's homes while students work, against GNU tar.

    sudo .venv-test/bin/python bench/backup.py [--release bookworm] [--homes 50] [--mib 20] [--working 3]
                                               [--runs 3] [--markdown FILE]

One systemd container (the integration harness), tljh-lite installed with
bootstrap, limited to 900 MB like the install (a backup must stream, not hold
the archive in memory). It gets `--homes` student accounts with `--mib` MiB
each (half random bytes like images and datasets, half text like notebooks
and CSV), and `--working` real students whose kernels write to their homes
and compute the whole time the backups run. Measured in the same run:
  - baselines: `tar -czf` (GNU tar and gzip -6, what one would type) and
    `tar -c --acls | gzip -1` (the same compression level as ours);
  - tljh-lite: `backup create` (median of --runs), its archive size and the
    peak memory of the process; restore's full check of that archive; and a
    whole `backup restore --force` of it onto the same hub.
  - a hostile student (issue 21): one more home with a 1 TiB sparse file and
    a 2,000-deep tree; `backup create` of everything once more, against GNU
    tar --sparse of that home alone (plain `tar` would read the 1 TiB).
Target (issue 12): 50 homes of 20 MB in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from containers import ContainerFactory  # noqa: E402
from engine import RELEASES, ensure_dockerd, ensure_image  # noqa: E402
from installed import InstalledHub, install  # noqa: E402
from report import emit, table  # noqa: E402

PYTHON = "/opt/tljh/hub/bin/python3"
ARCHIVE = "/root/bench.tar.gz"

# Inside the container: student accounts and their files (fast: no hub involved).
MAKE_HOMES = r'''
import os, random, subprocess, sys
homes, mib = int(sys.argv[1]), int(sys.argv[2])
for i in range(homes):
    name = f"jupyter-s{i:02d}"
    subprocess.run(["useradd", "--create-home", "--user-group", "-G", "jupyterhub-users", name], check=True)
    home = f"/home/{name}"
    for j in range(10):  # half incompressible: images, datasets
        with open(f"{home}/data-{j}.bin", "wb") as f:
            f.write(os.urandom(mib * 2**20 // 20))
    rng = random.Random(i)
    for j in range(40):  # half text: notebooks, CSV
        rows = "".join(f"{rng.random():.6f},{rng.randint(0, 10**6)},cell output line {k}\n" for k in range(400))
        with open(f"{home}/notebook-{j}.ipynb", "w") as f:
            while f.tell() < mib * 2**20 // 80:
                f.write(rows)
    subprocess.run(["chown", "-R", f"{name}:{name}", home], check=True)
'''

# Inside the container: run a command, print its wall time and the peak memory of its processes.
TIMED = r'''
import resource, subprocess, sys, time
start = time.monotonic()
done = subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL)
if done.returncode > 1:  # GNU tar: 1 is "a file changed as we read it"
    sys.exit(f"{sys.argv[1]}: exit {done.returncode}")
print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
'''

# Inside the container: the hostile student's home, made as she would (her own account and files).
HOSTILE = r'''
import os, subprocess
subprocess.run(["useradd", "--create-home", "--user-group", "jupyter-hostile"], check=True)
home = "/home/jupyter-hostile"
with open(f"{home}/huge.img", "wb") as f:
    f.truncate(2**40)
    f.write(b"head")
os.chdir(home)
for _ in range(2000):
    os.mkdir("d")
    os.chdir("d")
subprocess.run(["chown", "-R", "jupyter-hostile:", home], check=True)
'''

VERIFY = "from pathlib import Path; from tljh_lite.backup.reader import verify; verify(Path('%s'), Path('/root/staging'))"

# A student at work: computing, and saving a notebook and a 1 MiB result over and over (not growing).
WORK = ("import hashlib, os, time\nend = time.time() + {seconds}\n"
        "while time.time() < end:\n"
        "    hashlib.sha256(os.urandom(2**22)).digest()\n"
        "    open('result.bin', 'wb').write(os.urandom(2**20))\n"
        "    open('work.ipynb', 'w').write('{{\"cells\": []}}' * 1000)\n    time.sleep(0.2)\n")


def timed(hub: InstalledHub, command: str) -> tuple[float, float]:
    seconds, peak = hub.sh([PYTHON, "-c", TIMED, command], timeout=1800).stdout.split()
    return float(seconds), float(peak)


def _work(client, seconds: int) -> None:
    try:
        client.run_code(WORK.format(seconds=seconds), timeout=seconds + 120)
    except Exception:  # the restore at the end stops every server: that ends the work
        pass


def students_working(hub: InstalledHub, count: int, seconds: int) -> list[threading.Thread]:
    """Real students, logged in with running servers, whose kernels keep writing and computing."""
    names = [f"w{i}" for i in range(count)]
    for name in names:
        hub.tljh_config("add-item", "users.allowed", name)
    hub.tljh_config("reload")
    threads = []
    for name in names:
        client = hub.client()
        assert client.login(name, f"{name}-first-password")
        client.start_server()
        thread = threading.Thread(target=_work, args=(client, seconds), daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=RELEASES, default="bookworm")
    parser.add_argument("--homes", type=int, default=50)
    parser.add_argument("--mib", type=int, default=20, help="MiB of files per home")
    parser.add_argument("--working", type=int, default=3, help="students whose kernels work during the backups")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    ensure_dockerd()
    image = ensure_image(args.release)
    factory = ContainerFactory()
    try:
        hub = install(factory, image)
        hub.sh([PYTHON, "-c", MAKE_HOMES, str(args.homes), str(args.mib)], timeout=1800)
        data_mib = float(hub.sh("du -sm /home | cut -f1").stdout)
        homes = "/home/jupyter-*"  # the same homes as tljh-lite's backup: the class and the working students
        workers = students_working(hub, args.working, seconds=600)
        rows, ours, sizes, peaks = [], [], [], []
        for _ in range(args.runs):
            hub.sh("sync; echo 3 > /proc/sys/vm/drop_caches", check=False)  # cold, as at 03:00
            gz6 = timed(hub, f"tar -czf /root/tar6.tar.gz {homes}")[0]
            hub.sh("sync; echo 3 > /proc/sys/vm/drop_caches", check=False)
            gz1 = timed(hub, f"tar -c --acls {homes} | gzip -1 > /root/tar1.tar.gz")[0]
            hub.sh("sync; echo 3 > /proc/sys/vm/drop_caches", check=False)
            seconds, peak = timed(hub, f"tljh-lite backup create --file {ARCHIVE}")
            ours.append(seconds)
            peaks.append(peak)
            sizes.append((float(hub.sh(f"stat -c %s {ARCHIVE}").stdout) / 2**20,
                          float(hub.sh("stat -c %s /root/tar6.tar.gz").stdout) / 2**20,
                          float(hub.sh("stat -c %s /root/tar1.tar.gz").stdout) / 2**20))
            rows.append((gz6, gz1))
        hub.sh([PYTHON, "-c", HOSTILE], timeout=600)
        hostile, hostile_peak = timed(hub, "tljh-lite backup create --file /root/hostile.tar.gz")
        hostile_mib = float(hub.sh("stat -c %s /root/hostile.tar.gz").stdout) / 2**20
        gnu_sparse = timed(hub, "tar -cz --sparse -f /root/hostile-gnu.tar.gz /home/jupyter-hostile")[0]
        gnu_sparse_mib = float(hub.sh("stat -c %s /root/hostile-gnu.tar.gz").stdout) / 2**20
        verify = timed(hub, f"{PYTHON} -c \"{VERIFY % ARCHIVE}\"")[0]
        busy = sum(t.is_alive() for t in workers)
        restore = timed(hub, f"tljh-lite backup restore --force {ARCHIVE}")[0]
        med = statistics.median
        create = med(ours)
        ours_mib, tar6_mib, tar1_mib = (med(s[k] for s in sizes) for k in range(3))
        table_rows = [
            ("baseline: tar -czf (GNU tar, gzip -6)", med(r[0] for r in rows), f"{tar6_mib:.0f}", ""),
            ("baseline: tar -c --acls \\| gzip -1", med(r[1] for r in rows), f"{tar1_mib:.0f}", ""),
            ("tljh-lite backup create", create, f"{ours_mib:.0f}", f"{med(peaks):.0f}"),
            ("restore's check of the whole archive (sha256 of every file)", verify, "", ""),
            ("tljh-lite backup restore --force (same hub: every home written back)", restore, "", ""),
            ("baseline: tar -cz --sparse of one home with a 1 TiB sparse file and a 2,000-deep tree", gnu_sparse,
             f"{gnu_sparse_mib:.2f}", ""),
            ("tljh-lite backup create, all homes plus that one (its tree cut at 100 levels, listed)", hostile,
             f"{hostile_mib:.0f}", f"{hostile_peak:.0f}"),
        ]
        lines = [f"Backup, Debian {args.release} container (900 MB), {args.homes} homes x {args.mib} MiB "
                 f"({data_mib:.0f} MiB on disk, half random, half text), {busy} of {args.working} students' kernels "
                 f"writing and computing throughout, caches dropped before each run, median of {args.runs}; "
                 f"target: create < 60 s ({'met' if create < 60 else 'MISSED'})", ""]
        emit(lines + table(["what", "seconds", "archive MiB", "peak RSS MiB"], table_rows), args.markdown)
    finally:
        factory.remove_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
