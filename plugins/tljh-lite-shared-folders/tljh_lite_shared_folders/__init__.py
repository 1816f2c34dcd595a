"""tljh-lite plugin: a course folder and a scratch folder, linked into every student's home.

The hooks are thin: `plan` says what should exist (pure), `system` makes the
machine match it (idempotent). See README.md for the keys and permissions.
"""

from __future__ import annotations

import copy

from tljh_lite.runner import Runner
from tljh_lite.config.checker import load_config
from tljh_lite.hooks import hookimpl

from . import plan, system


@hookimpl
def tljh_extra_apt_packages():
    return ["acl"]  # setfacl and getfacl


@hookimpl
def tljh_lite_config_schema():
    return plan.config_schema()


@hookimpl
def tljh_lite_config_defaults():
    return copy.deepcopy(plan.DEFAULTS)


@hookimpl
def tljh_post_install():
    """Create or repair the folders, then link them into every existing student's home."""
    folders = plan.plan(load_config())
    runner = Runner()
    for folder in folders:
        system.ensure_folder(runner, folder)
    for username in system.existing_students():
        system.link_into_home(username, folders)


@hookimpl
def tljh_new_user_create(username):
    """A new account: make sure the folders exist (the config may have changed since the
    install), then link them into its home."""
    folders = plan.plan(load_config())
    runner = Runner()
    for folder in folders:
        system.ensure_folder(runner, folder)
    system.link_into_home(username, folders)


@hookimpl
def tljh_lite_backup_paths():
    """The course and scratch folders are in every backup (with their ACLs)."""
    return [folder.path for folder in plan.plan(load_config())]
