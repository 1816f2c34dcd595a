"""A plugin that implements every hook, each with an effect a test can observe.

It is written exactly as a TLJH plugin is (`from tljh.hooks import hookimpl`,
entry point in the group `tljh`), so it also proves TLJH plugins load unchanged.
"""

import json
from pathlib import Path

from tljh.hooks import hookimpl

MARKERS = Path("/opt/tljh/test-plugin")


@hookimpl
def tljh_extra_apt_packages():
    return ["sl"]  # /usr/games/sl appears


@hookimpl
def tljh_extra_hub_pip_packages():
    return ["tomli-w"]  # importable in /opt/tljh/hub


@hookimpl
def tljh_extra_user_pip_packages():
    return ["pyjokes"]  # importable in students' kernels


@hookimpl
def tljh_extra_user_conda_packages():
    return ["hypothetical-conda-only-package"]  # warned about, not installed


@hookimpl
def tljh_extra_user_conda_channels():
    return ["conda-forge"]


@hookimpl
def tljh_custom_jupyterhub_config(c):
    # Shown on the login page: the running hub used this plugin's config.
    c.JupyterHub.template_vars = {"announcement_login": "Welcome from tljh-lite-test-plugin"}


@hookimpl
def tljh_config_post_install(config):
    config.setdefault("test_plugin", {})["post_install_config"] = True


@hookimpl
def tljh_post_install():
    MARKERS.mkdir(parents=True, exist_ok=True)
    (MARKERS / "post-install").write_text("ran\n")
    from tljh_lite.runner import Runner
    from tljh_lite.users.accounts import ensure_system_user

    ensure_system_user(Runner(), "tljh-test-plugin", MARKERS / "account-home")


@hookimpl
def tljh_new_user_create(username):
    MARKERS.mkdir(parents=True, exist_ok=True)
    (MARKERS / f"new-user-{username}").write_text(username + "\n")


@hookimpl
def tljh_lite_lms_launch(username, roles, context):
    """A course package's part, played by a test: each launch is recorded; one from "course A"
    puts her in the course's group for her role and opens the notebook its link names (custom
    parameter `assignment`); one from "closed course" is refused."""
    MARKERS.mkdir(parents=True, exist_ok=True)
    (MARKERS / f"lms-launch-{username}.json").write_text(json.dumps({"roles": roles, "context": context}))
    if context.get("context_title") == "closed course":
        from tljh_lite.errors import TljhError

        raise TljhError("closed course is closed", "ask your teacher")
    if context.get("context_title") != "course A":
        return None
    answer = {"groups": [f"course-a-{role}s" for role in roles]}  # course-a-instructors, -graders, -students
    assignment = (context.get("custom") or {}).get("assignment")
    if assignment:
        answer["next"] = f"/hub/user-redirect/lab/tree/{assignment}"
    return answer


@hookimpl
def tljh_lite_config_schema():
    return {
        "test_plugin": {
            "type": "object",
            "properties": {
                "post_install_config": {"type": "boolean"},
                "greeting": {"type": "string"},
                "members": {"type": "array", "items": {"type": "string"}},
            },
        }
    }


@hookimpl
def tljh_lite_config_defaults():
    return {"test_plugin": {"post_install_config": False, "greeting": "hello", "members": []}}


@hookimpl
def tljh_lite_backup_paths():
    return [str(MARKERS)]  # a restore onto a new machine brings the markers back


@hookimpl
def tljh_lite_hub_access(config):
    # A JupyterHub group the hub keeps exact, a unix group its members' accounts join,
    # and a service only that group may open (403 for everyone else).
    members = list(config["test_plugin"].get("members", []))
    return {
        "services": [{"name": "test-plugin-service", "url": "http://127.0.0.1:15099", "display": False}],
        "roles": [{"name": "test-plugin-visitors", "groups": ["test-plugin-group"],
                   "scopes": ["access:services!service=test-plugin-service"]}],
        "groups": {"test-plugin-group": members},
        "unix_groups": {"test-plugin-unix": members},
    }


@hookimpl
def tljh_lite_cli_commands():
    return [TestPluginCommand]  # `tljh-lite test-plugin hello`


class TestPluginCommand:
    @staticmethod
    def add_parsers(commands, common):
        parser = commands.add_parser("test-plugin", parents=[common], help="the test plugin's command")
        parser.add_argument("word", nargs="?", default="hello")
        parser.set_defaults(run=lambda context, args: print(f"test-plugin says {args.word}") or 0)


@hookimpl
def tljh_lite_unix_accounts():
    return ["tljh-test-plugin"]  # made by its post-install: backups record it, restore makes it again


@hookimpl
def tljh_lite_reconcile(config):
    # At every install and reload, before the hub restarts: the greeting config.yaml has now.
    MARKERS.mkdir(parents=True, exist_ok=True)
    (MARKERS / "reconciled").write_text(config["test_plugin"]["greeting"] + "\n")
