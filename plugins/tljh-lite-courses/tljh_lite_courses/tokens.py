"""JupyterHub API tokens of the courses' services: root-only files the hub reads at each start.

- Each formgrader's: the hub gets it as the service's `api_token`
  (tljh_lite_hub_access); systemd hands it to the formgrader through
  `EnvironmentFile=`, so it is never on a command line, and only root and the
  grader account (in its own process environment) ever hold it.
- `MEMBERSHIP`'s: root's `tljh-lite course add|drop` (and `membership.enroll`)
  put a person into a course's JupyterHub groups at once through the REST
  API with it; its role allows nothing but the courses' groups.
"""

from __future__ import annotations

from pathlib import Path

from tljh_lite.installer.state import ensure_private_dir, ensure_secret
from tljh_lite.paths import Paths

VARIABLE = "JUPYTERHUB_API_TOKEN"


def folder(paths: Paths) -> Path:
    return paths.state_dir / "courses"


def token_file(paths: Paths, name: str) -> Path:
    """The formgrader's environment file: JUPYTERHUB_API_TOKEN=..."""
    return folder(paths) / f"{name}.env"


MEMBERSHIP = "tljh-courses"  # a JupyterHub service with no URL; no course name has a '-'


def ensure_token(paths: Paths, name: str) -> str:
    """The token of course `name`'s formgrader (or of MEMBERSHIP), made (0600, in a 0700 folder) if missing."""
    ensure_private_dir(folder(paths))
    path = token_file(paths, name)
    ensure_secret(path, lambda token: f"{VARIABLE}={token}\n")
    return path.read_text().strip().partition("=")[2]


def remove_token(paths: Paths, name: str) -> None:
    token_file(paths, name).unlink(missing_ok=True)
