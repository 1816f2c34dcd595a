"""TLJH's `tljh.user`: unix accounts and groups, over tljh-lite's users/accounts.py.

As in TLJH: `ensure_user` creates a missing account (home copied from
/etc/skel) and runs plugins' `tljh_new_user_create`; `remove_user` keeps the
home; the group functions change nothing when there is nothing to change.
A failing command raises subprocess.CalledProcessError (see _runner.py).
"""

from tljh_lite.users import accounts

from ._runner import PluginRunner


def ensure_user(username):
    if accounts.ensure_user(PluginRunner(), username):
        from .utils import get_plugin_manager

        get_plugin_manager().hook.tljh_new_user_create(username=username)


def remove_user(username):
    accounts.remove_user(PluginRunner(), username)


def ensure_group(groupname):
    accounts.ensure_group(PluginRunner(), groupname)


def ensure_user_group(username, groupname):
    """`username` becomes a member of `groupname` (both must exist, as in TLJH)."""
    accounts.add_to_group(PluginRunner(), username, groupname)


def remove_user_group(username, groupname):
    accounts.remove_from_group(PluginRunner(), username, groupname)
