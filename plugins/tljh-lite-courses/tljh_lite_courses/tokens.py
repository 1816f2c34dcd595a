"""Each formgrader's JupyterHub API token: a root-only file the hub and the formgrader's unit both read.

The hub gets it as the service's `api_token` (tljh_lite_hub_access, at each
start); systemd hands it to the formgrader through `EnvironmentFile=`, so it
is never on a command line, and only root and the grader account (in its own
process environment) ever hold it.
"""

from __future__ import annotations

from pathlib import Path

from tljh_lite.installer.state import ensure_private_dir, ensure_secret
from tljh_lite.paths import Paths

from .model import Course

VARIABLE = "JUPYTERHUB_API_TOKEN"


def folder(paths: Paths) -> Path:
    return paths.state_dir / "courses"


def token_file(paths: Paths, name: str) -> Path:
    """The formgrader's environment file: JUPYTERHUB_API_TOKEN=..."""
    return folder(paths) / f"{name}.env"


def ensure_token(paths: Paths, course: Course) -> str:
    """The course's token, made (0600, in a 0700 folder) if it is missing."""
    ensure_private_dir(folder(paths))
    path = token_file(paths, course.name)
    ensure_secret(path, lambda token: f"{VARIABLE}={token}\n")
    return path.read_text().strip().partition("=")[2]


def remove_token(paths: Paths, name: str) -> None:
    token_file(paths, name).unlink(missing_ok=True)
