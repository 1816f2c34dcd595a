"""The hooks: thin, each handing over to the module that knows (see the package's docstring).

A hub without courses pays nothing: no package, no service, no role, no group,
no folder until `tljh-lite course create` (or a `courses:` key) asks for one.
"""

from __future__ import annotations

import copy

from tljh_lite.hooks import hookimpl

from . import model


def _config():
    from tljh_lite.config.checker import load_config

    return load_config()


@hookimpl
def tljh_lite_config_schema():
    return model.config_schema()


@hookimpl
def tljh_lite_config_defaults():
    return copy.deepcopy(model.DEFAULTS)


@hookimpl
def tljh_extra_user_pip_packages():
    """nbgrader (and our part of it), only once a course exists."""
    from .system import user_packages

    return user_packages() if model.courses(_config()) else []


@hookimpl
def tljh_lite_reconcile(config):
    """Every course's accounts, groups, folders, nbgrader config and formgrader; removed ones' stopped."""
    from tljh_lite.paths import Paths
    from tljh_lite.runner import Runner

    from .operations import apply_all

    apply_all(Paths.from_environ(), Runner(), config)


@hookimpl
def tljh_lite_hub_access(config):
    from tljh_lite.paths import Paths

    from .hubaccess import hub_access
    from .tokens import MEMBERSHIP, ensure_token

    paths = Paths.from_environ()
    names = [c.name for c in model.courses(config)]
    return hub_access(config, {name: ensure_token(paths, name) for name in [*names, MEMBERSHIP]} if names else {})


@hookimpl
def tljh_lite_cli_commands():
    from . import cli

    return [cli]


@hookimpl
def tljh_lite_lms_launch(username, roles, context):
    """She arrives from an LMS course: into the course it maps onto, with her role (lms.py)."""
    from tljh_lite.paths import Paths

    from .lms import enroll_from_launch

    return enroll_from_launch(Paths.from_environ(), username, roles, context)


@hookimpl
def tljh_lite_backup_paths():
    """Course folders, gradebooks, the exchange, graders' homes, removed courses: all of /srv/nbgrader."""
    return [str(model.BASE)] if model.BASE.exists() else []


@hookimpl
def tljh_lite_unix_accounts():
    from .system import existing_graders

    return sorted({c.grader_account for c in model.courses(_config())} | set(existing_graders()))
