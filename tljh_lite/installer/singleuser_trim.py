"""JupyterHub's single-user server without the hub's database layer, in the students' environment.

Every student's server imports `jupyterhub.singleuser`, and through four
module-level imports it loads what only the hub uses: SQLAlchemy, its ORM,
Alembic and JupyterHub's own ORM. Measured in a student's server (JupyterHub
6.1.1, docs/performance.md): 30 MiB of its 92 MiB, and half a CPU-second of
every start. Nothing in the server uses them; the hub does, in its own
environment, which this never touches.

So, in the students' environment only, those four imports are made to wait
until they are used (Python's own LazyLoader, see `lazyimport.py`), which in a
student's server is never. Each edit replaces one exact line and is checked
before anything is written: a JupyterHub whose files differ (another version)
is left as it is, with a line in the install log, and its servers simply
carry the extra memory. The fix belongs in JupyterHub, where it is a few lines
of lazy imports; until it lands there, this keeps it out of every student's
server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..files import atomic_write
from ..runner import Runner
from . import lazyimport

log = logging.getLogger("tljh_lite")

HELPER = f"from {lazyimport.MODULE_NAME} import "


@dataclass(frozen=True)
class Edit:
    """One line of a module under site-packages, and what it becomes."""

    path: str
    old: str
    new: str


EDITS: tuple[Edit, ...] = (
    # scopes: its database functions are the hub's; the server only intersects scope sets.
    Edit("jupyterhub/scopes.py", "import sqlalchemy as sa\n",
         f'{HELPER}lazy_module\nsa = lazy_module("sqlalchemy")\n'),
    Edit("jupyterhub/scopes.py", "from . import orm, roles\n",
         'orm = lazy_module("jupyterhub.orm")\nroles = lazy_module("jupyterhub.roles")\n'),
    # metrics: the ORM only counts the hub's active users.
    Edit("jupyterhub/metrics.py", "from . import orm\n", f'{HELPER}lazy_module\norm = lazy_module("jupyterhub.orm")\n'),
    # utils: SQLAlchemy's error class only for the hub's database decorator.
    Edit("jupyterhub/utils.py", "from sqlalchemy.exc import SQLAlchemyError\n", f"{HELPER}imported\n"),
    Edit("jupyterhub/utils.py", "        except SQLAlchemyError:\n",
         '        except imported("sqlalchemy.exc", "SQLAlchemyError"):\n'),
    # log: the hub's request handlers (and with them the ORM) only for one isinstance check.
    Edit("jupyterhub/log.py", "from .handlers.pages import HealthCheckHandler\n", f"{HELPER}if_loaded\n"),
    Edit("jupyterhub/log.py", "isinstance(handler, StaticFileHandler | HealthCheckHandler)",
         'isinstance(handler, (StaticFileHandler, *if_loaded("jupyterhub.handlers.pages", "HealthCheckHandler")))'),
)


def site_packages(venv: Path) -> Path | None:
    """The site-packages of `venv` that holds JupyterHub, if any."""
    return next((p.parent for p in sorted(venv.glob("lib/python3*/site-packages/jupyterhub"))), None)


def edited(texts: dict[str, str]) -> dict[str, str] | str:
    """Every file's text with the edits made, or why they cannot be made (pure).

    An edit already made is left as it is, so running this again changes nothing.
    """
    out = dict(texts)
    for edit in EDITS:
        text = out[edit.path]
        if edit.new in text and edit.old not in text:
            continue
        if text.count(edit.old) != 1:
            return f"{edit.path} is not the one tljh-lite knows (the line {edit.old.strip()!r} is not there once)"
        out[edit.path] = text.replace(edit.old, edit.new)
    for path, text in out.items():
        try:
            compile(text, path, "exec")
        except SyntaxError as e:
            return f"{path} would not compile after the edits ({e})"
    return out


def trim_singleuser(runner: Runner, python: str, venv: Path) -> str:
    """Make the edits in `venv` (the students' environment); returns what was done, for the log."""
    site = site_packages(venv)
    if site is None:
        return f"no JupyterHub in {venv}: nothing to trim"
    try:
        texts = {path: (site / path).read_text(encoding="utf-8") for path in {e.path for e in EDITS}}
    except (FileNotFoundError, UnicodeDecodeError) as e:
        return f"JupyterHub's single-user server left as it is: {e}"
    result = edited(texts)
    if isinstance(result, str):
        return f"JupyterHub's single-user server left as it is: {result}"
    helper = site / f"{lazyimport.MODULE_NAME}.py"
    wanted = {**{site / path: text for path, text in result.items()},
              helper: Path(lazyimport.__file__).read_text(encoding="utf-8")}
    changed = [path for path, text in wanted.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    for path in changed:
        # A new file renamed over the old one, never a write into it: uv installs by hard
        # links to its cache, so the hub's environment and the cache share these inodes.
        atomic_write(path, wanted[path], 0o644)
    if not changed:
        return "JupyterHub's single-user server is trimmed already"
    # Students cannot write the environment, so their servers could not compile these themselves.
    runner.run([python, "-m", "py_compile", *map(str, changed)],
               hint="the students' environment's Python could not compile tljh-lite's trimmed JupyterHub files")
    return f"JupyterHub's single-user server trimmed: {len(changed)} files in {site} (its database layer loads only if used)"
