"""Install benchmark: tljh-lite's bootstrap against a plain `pip install` of the same stack.

    sudo .venv-test/bin/python bench/install.py [--release bookworm] [--runs 1]

Each run uses fresh systemd containers (the integration harness), both cold
(empty pip/uv caches), measured in the same run:
  - baseline: `python3 -m venv` + `pip install` of the hub and user packages
    tljh-lite installs (what a hand-built hub costs);
  - tljh-lite: bootstrap piped into `sudo python3 -`, per step (from its
    `==> [elapsed]` headings) and in total; then a re-run with nothing changed;
  - peak memory of each container (cgroup high-water mark).
Targets (shared/DESIGN.md): fresh install under 90 s, re-run under 15 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration-tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from containers import Container  # noqa: E402
from engine import RELEASES, ensure_dockerd, ensure_image  # noqa: E402
from installed import ADMIN, ADMIN_PASSWORD, InstalledHub, copy_checkout  # noqa: E402
from report import emit, table  # noqa: E402

HUB_PACKAGES = [
    "jupyterhub", "jupyterhub-systemdspawner", "jupyterhub-idle-culler", "jupyterhub-firstuseauthenticator",
    "jupyterhub-nativeauthenticator", "jupyterhub-tmpauthenticator", "jupyterhub-ldapauthenticator",
    "oauthenticator",
]
USER_PACKAGES = ["notebook", "jupyterlab", "ipykernel", "ipywidgets", "nbgitpuller", "jupyter-resource-usage"]
STEP = re.compile(r"^==> \[\s*([0-9.]+)s\] (.*)$", re.M)


def peak_memory_mib(container: Container) -> float:
    """The container's memory high-water mark, read from the host's cgroup files."""
    for path in (
        f"/sys/fs/cgroup/memory/docker/{container.id}/memory.max_usage_in_bytes",
        f"/sys/fs/cgroup/system.slice/docker-{container.id}.scope/memory.peak",
        f"/sys/fs/cgroup/docker/{container.id}/memory.peak",
    ):
        try:
            return int(Path(path).read_text()) / 2**20
        except (FileNotFoundError, ValueError):
            continue
    return float("nan")


def baseline(image: str) -> tuple[float, float]:
    with Container.start(image) as container:
        container.wait_for_systemd()
        start = time.monotonic()
        container.exec(
            "python3 -m venv /srv/raw && PIP_CERT=/etc/ssl/certs/ca-certificates.crt /srv/raw/bin/pip install -q "
            + " ".join(HUB_PACKAGES + USER_PACKAGES),
            timeout=1200,
        )
        return time.monotonic() - start, peak_memory_mib(container)


def tljh_lite(image: str) -> dict:
    with Container.start(image, port=80) as container:
        container.wait_for_systemd()
        copy_checkout(container)
        hub = InstalledHub(container, "", 0)
        result, fresh = hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}")
        steps = _step_times(result.stdout, fresh)
        peak = peak_memory_mib(container)
        _result, rerun = hub.bootstrap("--admin", f"{ADMIN}:{ADMIN_PASSWORD}")
        return {"fresh": fresh, "rerun": rerun, "peak": peak, "steps": steps}


def _step_times(output: str, total: float) -> list[tuple[str, float]]:
    marks = [(float(t), title) for t, title in STEP.findall(output)]
    ends = [t for t, _ in marks[1:]] + [total]
    return [(title, end - start) for (start, title), end in zip(marks, ends)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=RELEASES, default="bookworm")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    ensure_dockerd()
    image = ensure_image(args.release)

    raw, ours = [], []
    for _ in range(args.runs):
        raw.append(baseline(image))
        ours.append(tljh_lite(image))

    med = statistics.median
    raw_time, raw_peak = med(r[0] for r in raw), med(r[1] for r in raw)
    fresh, rerun, peak = (med(o[key] for o in ours) for key in ("fresh", "rerun", "peak"))
    rows = [
        ("baseline: venv + pip install of the same packages", raw_time, f"{raw_peak:.0f}"),
        ("tljh-lite: fresh bootstrap, to a hub that answers", fresh, f"{peak:.0f}"),
        *((f"&nbsp;&nbsp;{title}", seconds, "") for title, seconds in ours[-1]["steps"]),
        ("tljh-lite: re-run with nothing changed", rerun, ""),
    ]
    lines = [f"Install, Debian {args.release} container, median of {args.runs} run(s); "
             f"fresh / baseline {fresh / raw_time:.2f}; targets: fresh < 90 s "
             f"({'met' if fresh < 90 else 'MISSED'}), re-run < 15 s ({'met' if rerun < 15 else 'MISSED'})", ""]
    emit(lines + table(["what", "seconds", "peak MiB (cgroup, page cache included)"], rows), args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
