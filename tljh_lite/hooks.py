"""The hook specifications plugins implement: TLJH's hooks, and the ones tljh-lite adds.

Plugins are Python packages with an entry point in the group `tljh` (TLJH's
group, so TLJH plugins load unchanged) and functions marked with `hookimpl`:

    from tljh_lite.hooks import hookimpl      # or TLJH's: from tljh.hooks import hookimpl

    @hookimpl
    def tljh_extra_user_pip_packages():
        return ["pandas", "matplotlib"]

The pluggy project name is TLJH's ("tljh") so both markers are the same.
Hooks are called with keyword arguments. Install-time hooks run in this
order on every bootstrap run: apt packages, hub pip packages, user pip
packages (and the conda hooks, which only warn), config post-install,
`tljh_lite_reconcile`, a hub restart if anything it reads changed, then
post-install; `tljh-config reload` calls `tljh_lite_reconcile` too, before
the hub restarts. The hub calls
`tljh_lite_hub_access` and `tljh_custom_jupyterhub_config` when it starts,
`tljh_new_user_create` when it makes a student's unix account, and
`tljh_lite_lms_launch` when someone arrives from the LMS.
`tljh-lite` asks `tljh_lite_cli_commands` for its subcommands, and backups
ask `tljh_lite_backup_paths` and `tljh_lite_unix_accounts` what to hold.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "tljh"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def tljh_extra_apt_packages() -> list[str]:
    """Debian/Ubuntu packages the plugin needs on the machine.

    Fires: at install, first of the install hooks, before anything else is
    installed for plugins. Returns: a list of package names (installed with
    apt-get, all plugins' lists in one command). Must not mutate anything.
    """


@hookspec
def tljh_extra_hub_pip_packages() -> list[str]:
    """pip requirements to install into the hub's environment (/opt/tljh/hub).

    Fires: at install, after the apt packages. Returns: a list of requirement
    specifiers (e.g. "jupyterhub-ltiauthenticator>=1.6"), for authenticators,
    spawner helpers or hub services the plugin configures.
    """


@hookspec
def tljh_extra_user_pip_packages() -> list[str]:
    """pip requirements to install into the students' environment (/opt/tljh/user).

    Fires: at install, after the hub packages. Returns: a list of requirement
    specifiers: the course's libraries (e.g. "pandas", "nbgrader").
    """


@hookspec
def tljh_extra_user_conda_packages() -> list[str]:
    """Conda packages for the students' environment (TLJH compatibility).

    tljh-lite has no conda: every package returned is reported in a warning
    naming the plugin, and not installed; the install goes on. Offer the same
    packages from tljh_extra_user_pip_packages instead.
    """


@hookspec
def tljh_extra_user_conda_channels() -> list[str]:
    """Conda channels for the students' environment (TLJH compatibility).

    Every channel returned is reported in a warning naming the plugin and is
    not used: tljh-lite has no conda. The install goes on.
    """


@hookspec
def tljh_custom_jupyterhub_config(c: Any) -> None:
    """Change the hub's configuration.

    Fires: every time the hub starts (in jupyterhub_config.py), after the
    settings from config.yaml and before jupyterhub_config.d/*.py. Gets: `c`,
    the traitlets config object; mutate it (e.g. c.JupyterHub.template_vars).
    Returns nothing.
    """


@hookspec
def tljh_config_post_install(config: dict) -> None:
    """Change config.yaml at install time.

    Fires: at install, after the packages, before the hub is (re)started.
    Gets: `config`, the contents of config.yaml as a dict; mutate it in place.
    The result is validated like any edit and written atomically only if it
    changed. New top-level keys written by a plugin without
    `tljh_lite_config_schema` become that plugin's, kept unchecked (as TLJH
    keeps them; docs/plugins.md); a plugin with a schema is checked against it.
    """


@hookspec
def tljh_post_install() -> None:
    """Last step of every install, after the hub answers with the new config.

    Fires: at install, as root. For setting up folders, files, services.
    Returns nothing. Must be idempotent: it runs on every bootstrap run.
    """


@hookspec
def tljh_new_user_create(username: str) -> None:
    """A student's unix account was just created.

    Fires: in the hub, as root, when a user's server starts for the first
    time, after the account and its home exist, before the server starts.
    Gets: `username`, the unix account name (e.g. "jupyter-alice", as TLJH
    passes it). Returns nothing.
    """


@hookspec
def tljh_lite_config_schema() -> dict[str, dict]:
    """Config keys of the plugin's own, validated by tljh-config like built-in keys.

    Fires: whenever config.yaml is validated (tljh-config, the installer, the
    hub). Returns: {top-level key: JSON Schema of its value}, e.g.
    {"shared_folders": {"type": "object", "properties": {...}}}. Sections are
    strict (unknown keys rejected). A plugin cannot redefine a built-in key.
    (tljh-lite's addition; TLJH has no such hook.)
    """


@hookspec
def tljh_lite_config_defaults() -> dict[str, Any]:
    """Default values for the plugin's own config keys: {top-level key: value}.

    Fires: whenever the merged config (defaults + file) is computed; `tljh-config
    get` shows them. (tljh-lite's addition.)
    """


@hookspec
def tljh_lite_lms_launch(username: str, roles: list[str], context: dict[str, Any]) -> str | dict | None:
    """Someone arrived from the school's LMS (an LTI 1.3 launch): put her in her course, say where she lands.

    Fires: in the hub, as root, after the launch is checked (signed by the LMS,
    for this hub, fresh, used once) and she may log in (a role the professor
    allows, not banned), before her hub account is made or updated and before
    the redirect. Runs in a worker thread (file or network work does not stall
    the hub). A refusal leaves nothing behind: raise
    `tljh_lite.errors.TljhError(message, hint)` and she sees the message on a 403
    page; her account is neither made nor logged in. Any other exception is
    logged with the plugin's name and she lands as if the plugin had returned
    None.

    Gets (keywords; a copy each, mutating them changes nothing):
    - `username`: her hub name (`jupyter-<username>` is her unix account, made
      at her first server start);
    - `roles`: hers in the course, of "instructor", "grader", "student" (LMS
      Instructor, TeachingAssistant, Learner; usually one; empty for an LMS
      Administrator the professor made a hub admin);
    - `context`: a dict of what the launch says about where it comes from:
      `issuer`, `client_id`, `deployment_id`, `context_id`, `context_label`,
      `context_title` (the LMS course: id, short and long name; None when the
      link is outside a course), `resource_link_id`, `resource_link_title` (the
      link she clicked), `target_link_uri` (the link's URL), `custom` (the
      link's custom parameters, a dict), `lms_roles` (the LMS's role URIs),
      `message_type`.

    Returns: None (no opinion), a path on this hub where she lands (e.g.
    "/hub/user-redirect/lab/tree/data101/week1.ipynb", or an nbgitpuller
    "/hub/user-redirect/git-pull?repo=..."), or a dict with "next" (such a path)
    and/or "groups" (hub groups she joins; made if missing; a launch never
    takes her out of a group). Without a path she lands where the link says
    (its custom parameter `next` or its target link), else in her server.
    Paths under /user/ and /hub/user-redirect/ start her server first. When
    several plugins name a path, the first installed wins; she joins every
    plugin's groups. (tljh-lite's addition.)
    """


@hookspec
def tljh_lite_backup_paths() -> list[str]:
    """Folders (or files) of the plugin's own data that every backup must hold.

    Fires: at each `tljh-lite backup create` (and each scheduled backup), as
    root. Returns: a list of absolute paths, e.g. ["/srv/course"]; each is
    archived with everything below it, with owners, modes, symlinks and ACLs,
    and `tljh-lite backup restore` puts it back at the same path. Students'
    homes, config.yaml and the hub's state are in every backup already; paths
    under /opt/tljh's environments and system folders are left out with a
    warning. (tljh-lite's addition.)
    """


@hookspec
def tljh_lite_hub_access(config: dict) -> dict[str, Any]:
    """JupyterHub services, roles and groups the plugin needs, and unix groups for users' accounts.

    Fires: in the hub at every start (before `tljh_custom_jupyterhub_config`),
    at each server start (the spawner reads the unix groups again, from
    config.yaml as it is then: a change needs no hub restart), and wherever
    tljh-lite computes the hub's settings. Must be quick. Gets: `config`, the
    merged config (defaults and config.yaml), which it must not mutate.
    Returns: a mapping with any of these keys, each added to tljh-lite's own:
    - "services": JupyterHub service dicts (c.JupyterHub.services); a name
      that is already taken stops the hub with one line naming the plugin;
    - "roles": JupyterHub role dicts (c.JupyterHub.load_roles); a role named
      like a default one ("server", "user") replaces it, as in JupyterHub;
    - "groups": {hub group: [hub users]}: the group's members are exactly
      these at each start (members added elsewhere leave it), as for
      config.yaml's `groups`;
    - "unix_groups": {unix group: [hub users]}: each user's account is put in
      the group when her server starts, and taken out when she is no longer
      listed (as users.extra_user_groups), as config.yaml says at that start.
    (tljh-lite's addition.)
    """


@hookspec
def tljh_lite_cli_commands() -> list[Any]:
    """Subcommands the plugin adds to `tljh-lite` (e.g. `tljh-lite course ...`).

    Fires: whenever `tljh-lite` builds its command line, before parsing.
    Returns: a list of modules or objects with `add_parsers(commands, common)`,
    as tljh-lite's own subcommand modules have (docs/architecture.md, "Adding
    a subcommand"); each parser sets `run=function(context, args)` returning
    an exit code. Errors raised as TljhError become one line and exit 1. A name
    tljh-lite already uses stops the command with one line naming the plugin.
    (tljh-lite's addition.)
    """


@hookspec
def tljh_lite_unix_accounts() -> list[str]:
    """Unix accounts the plugin made (besides students' jupyter-* accounts) that backups must keep.

    Fires: at each `tljh-lite backup create`, as root. Returns: a list of
    account names (e.g. a course's grader account); each is recorded with its
    groups, and `tljh-lite backup restore` creates it again, in the same
    groups, before it puts files back, so the plugin's folders keep their
    owners on a new machine (where the numeric ids differ). Accounts that do
    not exist are left out. (tljh-lite's addition.)
    """


@hookspec
def tljh_lite_reconcile(config: dict) -> None:
    """Make the machine match what the plugin's config keys ask for (accounts, folders, its own units).

    Fires: as root, with the merged config the hub is about to start with, at
    every install (after `tljh_config_post_install`, before the hub restarts)
    and at every `tljh-config reload` (or `reload hub`), before the hub
    restarts; so a key changed with `tljh-config set` takes effect at reload,
    as tljh-lite's own keys do. Gets: `config`, the merged config, which it
    must not mutate. Returns nothing. Must be idempotent and quick when nothing
    changed. Raising TljhError stops the install or reload in one line before
    the hub restarts (the hub keeps running with its previous config).
    (tljh-lite's addition.)
    """
