"""The students' environment (/opt/tljh/user) as an image build for the chart's `singleuser.image`.

requirements.txt pins every distribution installed in the venv, at its exact
version, read from the venv's own metadata (what `pip freeze` reads). The
Dockerfile starts FROM the official `python:3.X-slim-<debian>` image with the
venv's Python minor version and this machine's Debian release, not from a
jupyter/docker-stacks image: those bring their own conda environment with
JupyterLab already in it, so the exact pins would fight the packages there,
and the course would not run what it ran here. We add what docker-stacks
gives the chart: the `jovyan` user with uid 1000 and gid 100 (the chart's
`singleuser.uid` and `fsGid`, so the home volumes homes.sh writes are hers)
and home /home/jovyan (the chart's homeMountPath). The venv is rebuilt at
the same path, so kernels and `sys.prefix` stay what notebooks expect.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .migration import Note

NOT_PINNED = {"pip", "setuptools", "wheel"}  # what the venv itself comes with; the image's python brings them


@dataclass(frozen=True)
class Installed:
    name: str
    version: str
    url: str | None = None  # installed from a folder, a VCS or a URL (not an index)


@dataclass
class UserImage:
    requirements: str
    dockerfile: str
    tag: str  # a digest of both: the same environment always gets the same tag
    notes: list[Note] = field(default_factory=list)


def site_packages(venv: Path) -> Path | None:
    found = sorted(venv.glob("lib/python3*/site-packages"))
    return found[-1] if found else None


def python_version(venv: Path) -> str | None:
    """The venv's Python, major.minor (from pyvenv.cfg, else the site-packages folder's name)."""
    try:
        for line in (venv / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                return ".".join(value.strip().split(".")[:2])
    except OSError:
        pass
    packages = site_packages(venv)
    return packages.parent.name.removeprefix("python") if packages else None


def installed(venv: Path) -> list[Installed]:
    """Every distribution in the venv (`pip freeze --all`'s list), sorted by name."""
    import importlib.metadata

    packages = site_packages(venv)
    if packages is None:
        return []
    found: dict[str, Installed] = {}
    for dist in importlib.metadata.distributions(path=[str(packages)]):
        name = dist.metadata["Name"]
        if not name:
            continue
        url = None
        direct = dist.read_text("direct_url.json")  # only for what was not installed from an index (PEP 610)
        if direct:
            try:
                url = json.loads(direct).get("url") or "a direct URL"
            except (ValueError, AttributeError):
                url = "a direct URL"
        found.setdefault(canonical(name), Installed(name, dist.version, url))
    return sorted(found.values(), key=lambda d: canonical(d.name))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def user_image(dists: Iterable[Installed], *, python: str, debian: str, apt: Iterable[str] = ()) -> UserImage:
    dists = [d for d in dists if canonical(d.name) not in NOT_PINNED]
    notes = [Note(f"{d.name} {d.version} in /opt/tljh/user", f"installed from {d.url}, not from an index",
                  "requirements.txt pins it by version: publish it to an index the build reaches, or COPY it "
                  "into the image and install it from there")
             for d in dists if d.url]
    requirements = "".join(f"{d.name}=={d.version}\n" for d in dists)
    apt = sorted(set(apt))
    if not any(canonical(d.name) == "jupyterhub" for d in dists):
        notes.append(Note("jupyterhub in /opt/tljh/user", "the chart starts jupyterhub-singleuser, which it provides",
                          "add jupyterhub to requirements.txt (the new hub's major version)"))
    dockerfile = DOCKERFILE.format(python=python, debian=debian,
                                   apt=" ".join(["git", "tini", *apt]))
    tag = hashlib.sha256((requirements + dockerfile).encode()).hexdigest()[:12]
    return UserImage(requirements, dockerfile, tag, notes)


DOCKERFILE = """\
# The students' environment of a tljh-lite hub (/opt/tljh/user), for Zero to JupyterHub's
# singleuser.image. Build and push it, then set singleuser.image in values.yaml:
#   docker build -t REGISTRY/tljh-lite-user:TAG . && docker push REGISTRY/tljh-lite-user:TAG
# Python {python} as on the old hub; exact versions in requirements.txt.
FROM python:{python}-slim-{debian}

# Debian packages: git for nbgitpuller, tini as PID 1, and what plugins asked for.
RUN apt-get update \\
 && apt-get install -y --no-install-recommends {apt} \\
 && rm -rf /var/lib/apt/lists/*

# The chart runs servers as uid 1000, gid 100 (singleuser.uid, singleuser.fsGid), home /home/jovyan.
RUN useradd --create-home --home-dir /home/jovyan --uid 1000 --gid 100 --shell /bin/bash jovyan

# The same venv at the same path: kernels and sys.prefix stay what notebooks expect.
COPY requirements.txt /opt/tljh/user-requirements.txt
RUN python -m venv /opt/tljh/user \\
 && /opt/tljh/user/bin/pip install --no-cache-dir -r /opt/tljh/user-requirements.txt
ENV PATH=/opt/tljh/user/bin:$PATH

USER 1000:100
WORKDIR /home/jovyan
ENTRYPOINT ["tini", "--"]
CMD ["jupyterhub-singleuser"]
"""
