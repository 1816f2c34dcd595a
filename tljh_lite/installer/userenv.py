"""The environment every student's server runs in: /opt/tljh/user.

Root owns it and students cannot write to it, so its bytecode is compiled at
install time (servers start faster), and bootstrap's excludes keep slow,
unused imports out of it (see tljh_lite/installer/uv.py). JupyterHub's
single-user server in it is trimmed of the hub's database layer
(singleuser_trim.py). It is rebuilt only when what we asked for changes.

Students add their own packages as in TLJH: `pip install --user PKG` in a
terminal, `%pip install PKG` in a notebook (pip falls back to a user install
because site-packages is not theirs to write). Both land in ~/.local, which
Python puts before the course's packages. A venv only allows that with
`include-system-site-packages = true` in pyvenv.cfg (Python's site module and
pip both tie user site-packages to it); the price is that Debian's python3-*
packages are importable too, after the course's own.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import shutil

from ..runner import Runner
from ..files import write_if_changed
from ..paths import Paths
from .singleuser_trim import trim_singleuser
from .uv import install_command, uv

log = logging.getLogger("tljh_lite")


# JupyterLab's defaults for every student, unless an admin wrote their own:
# no pop-up asking to fetch Jupyter news, no update checks against the internet.
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def ensure_lab_overrides(paths: Paths) -> bool:
    target = paths.user_venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    write_if_changed(target, json.dumps(LAB_OVERRIDES, indent=2) + "\n")
    return True


def user_requirements(hub_jupyterhub_version: str, packages: list[str]) -> list[str]:
    # The single-user server must speak the hub's JupyterHub version.
    return [*packages, f"jupyterhub=={hub_jupyterhub_version}"]


def ensure_user_env(runner: Runner, paths: Paths, requirements_url: str | None, packages: list[str]) -> bool:
    """Create and fill the user venv with `packages`; False if it was already as asked."""
    python = paths.user_venv / "bin" / "python3"
    wanted = user_requirements(importlib.metadata.version("jupyterhub"), packages)
    command = install_command(paths, str(python), wanted)
    if requirements_url:
        command += ["-r", requirements_url]
    stamp = paths.state_dir / "user-env.json"
    stamp_text = json.dumps(command) + "\n"
    if python.exists() and not requirements_url and stamp.exists() and stamp.read_text() == stamp_text:
        log.info(trim_singleuser(runner, str(python), paths.user_venv))  # an admin's pip may have undone it
        return ensure_user_site(paths)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    if not python.exists():
        system_python = shutil.which("python3", path="/usr/bin:/usr/local/bin:/bin") or "python3"
        runner.run([uv(paths), "venv", "--seed", "--python", system_python, str(paths.user_venv)], env=env)
    runner.run(
        command,
        env=env,
        hint="the user environment could not be installed (the error is above; check --user-requirements-txt-url)",
    )
    write_if_changed(stamp, stamp_text, 0o600)
    log.info(trim_singleuser(runner, str(python), paths.user_venv))
    ensure_lab_overrides(paths)
    ensure_user_site(paths)
    return True


SYSTEM_SITE = re.compile(r"^include-system-site-packages\s*=.*$", re.MULTILINE)


def with_user_site(pyvenv_cfg: str) -> str:
    """pyvenv.cfg's text with user site-packages on (see the module's docstring)."""
    line = "include-system-site-packages = true"
    if SYSTEM_SITE.search(pyvenv_cfg):
        return SYSTEM_SITE.sub(line, pyvenv_cfg, count=1)
    return pyvenv_cfg.rstrip("\n") + f"\n{line}\n"


def ensure_user_site(paths: Paths) -> bool:
    """Turn user site-packages on in the students' environment; True if it changed."""
    cfg = paths.user_venv / "pyvenv.cfg"
    text = cfg.read_text()
    wanted = with_user_site(text)
    return wanted != text and write_if_changed(cfg, wanted, 0o644)
