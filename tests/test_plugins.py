"""The plugin layer: loading, hook order, errors that name the plugin, schema extension."""

from __future__ import annotations

import inspect

import pytest

from fakes import HOOK_NAMES, ROOT, FakeEntryPoint, load_test_plugin, module
from tljh_lite import hooks
from tljh_lite.config import yaml
from tljh_lite.config.checker import config_checker
from tljh_lite.errors import ConfigError
from tljh_lite.installer.main import parse_args
from tljh_lite.installer.plugin_steps import apply_config_hooks, conda_warnings
from tljh_lite.paths import Paths
from tljh_lite.plugins import BUILTIN_NAME, PluginError, collect, describe, per_plugin, plugin_manager

def test_every_hook_is_documented_with_when_it_fires():
    assert len(HOOK_NAMES) == 17
    for name in HOOK_NAMES:
        doc = inspect.getdoc(getattr(hooks, name)) or ""
        assert len(doc) > 80, f"{name} needs a docstring"
        assert "Fires" in doc or "tljh-lite has no conda" in doc or "TLJH compatibility" in doc, name


def test_every_hook_is_implemented_by_the_test_plugin_and_tested():
    plugin = load_test_plugin()
    assert sorted(n for n in dir(plugin) if n.startswith("tljh_")) == HOOK_NAMES
    test_sources = "".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    test_sources += "".join(p.read_text() for p in (ROOT / "integration-tests").glob("test_*.py"))
    for name in HOOK_NAMES:
        assert name in test_sources, f"no test mentions {name}"


def test_every_hook_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in HOOK_NAMES:
        assert f"`{name}" in readme, name


def test_tljh_style_plugins_use_the_same_marker():
    from tljh.hooks import hookimpl

    assert hookimpl.project_name == hooks.PROJECT == "tljh"


def test_builtin_behaviour_is_a_plugin():
    pm = plugin_manager(entry_points=[])
    assert pm.get_plugin(BUILTIN_NAME) is not None
    assert "node-configurable-http-proxy" in collect(pm, "tljh_extra_apt_packages")
    assert "jupyterlab" in collect(pm, "tljh_extra_user_pip_packages")


def test_plugins_add_to_the_lists_in_a_defined_order_without_duplicates():
    first = module("first", tljh_extra_user_pip_packages=lambda: ["pandas", "jupyterlab"])
    second = module("second", tljh_extra_user_pip_packages=lambda: ["altair", "pandas"])
    pm = plugin_manager([FakeEntryPoint("first", first), FakeEntryPoint("second", second)])
    packages = collect(pm, "tljh_extra_user_pip_packages")
    assert packages[:6] == ["notebook", "jupyterlab", "ipykernel", "ipywidgets", "nbgitpuller", "jupyter-resource-usage"]
    assert packages[6:] == ["pandas", "altair"]
    assert [name for name, _ in per_plugin(pm, "tljh_extra_user_pip_packages")] == [BUILTIN_NAME, "first", "second"]


def test_a_plugin_that_cannot_be_imported_is_one_line_naming_it():
    with pytest.raises(PluginError) as raised:
        plugin_manager([FakeEntryPoint("broken", error=ModuleNotFoundError("No module named 'missingdep'"))])
    line = raised.value.one_line()
    assert "plugin 'broken' could not be imported: ModuleNotFoundError: No module named 'missingdep'" in line
    assert "\n" not in line


def test_a_misspelt_hook_is_an_error_naming_the_plugin():
    typo = module("typo", tljh_extra_user_pip_package=lambda: ["x"])
    with pytest.raises(PluginError, match="plugin 'typo' implements a hook that does not exist"):
        plugin_manager([FakeEntryPoint("typo", typo)])


def test_only_named_plugins_load_when_asked():
    a, b = module("a"), module("b")
    pm = plugin_manager([FakeEntryPoint("a", a), FakeEntryPoint("b", b)], only="b")
    assert [name for name, _ in pm.list_name_plugin()] == [BUILTIN_NAME, "b"]


def test_conda_hooks_warn_naming_plugin_and_package():
    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", load_test_plugin())])
    warnings = conda_warnings(pm)
    assert any("plugin tljh_lite_test_plugin" in w and "'hypothetical-conda-only-package'" in w for w in warnings)
    assert any("'conda-forge'" in w for w in warnings)


def test_plugin_schema_keys_are_validated_like_built_in_ones():
    """tljh_lite_config_schema adds keys; tljh_lite_config_defaults gives their defaults."""
    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", load_test_plugin())])
    checker = config_checker(pm)
    assert checker.problems({"test_plugin": {"greeting": "hi"}}) == []
    with pytest.raises(ConfigError, match="did you mean test_plugin.greeting"):
        checker.check({"test_plugin": {"greting": "hi"}})
    with pytest.raises(ConfigError, match="test_plugin.greeting must be text"):
        checker.check({"test_plugin": {"greeting": 5}})
    assert checker.merged({})["test_plugin"] == {"post_install_config": False, "greeting": "hello", "members": []}
    without = config_checker(plugin_manager(entry_points=[]))
    with pytest.raises(ConfigError, match="unknown key test_plugin"):
        without.check({"test_plugin": {}})


def test_config_post_install_changes_are_validated_and_written_with_comments(tmp_path):
    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text("# mine\nlimits:\n  memory: 1G  # enough\n")
    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", load_test_plugin())])
    assert apply_config_hooks(pm, paths, config_checker(pm)) is True
    text = paths.config_file.read_text()
    assert text.startswith("# mine\nlimits:\n  memory: 1G  # enough\n")
    assert yaml.loads(text)["test_plugin"] == {"post_install_config": True}
    assert apply_config_hooks(pm, paths, config_checker(pm)) is False  # idempotent: nothing written


def test_a_plugin_that_breaks_the_config_is_named_and_nothing_is_written(tmp_path):
    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text("limits:\n  memory: 1G\n")

    def tljh_config_post_install(config):
        config["limits"]["memory"] = "lots"

    pm = plugin_manager([FakeEntryPoint("clumsy", module("clumsy", tljh_config_post_install=tljh_config_post_install))])
    with pytest.raises(PluginError, match="plugin clumsy made config.yaml invalid: limits.memory must be"):
        apply_config_hooks(pm, paths, config_checker(pm))
    assert paths.config_file.read_text() == "limits:\n  memory: 1G\n"


def test_two_plugins_cannot_claim_the_same_key():
    schema = lambda: {"same": {"type": "object"}}  # noqa: E731
    pm = plugin_manager([FakeEntryPoint("a", module("a", tljh_lite_config_schema=schema)),
                         FakeEntryPoint("b", module("b", tljh_lite_config_schema=schema))])
    with pytest.raises(PluginError, match="two plugins define the config key 'same'"):
        config_checker(pm)


def test_tljh_custom_jupyterhub_config_and_new_user_hooks_are_called_with_keywords():
    seen = {}
    plugin = module(
        "watcher",
        tljh_custom_jupyterhub_config=lambda c: seen.setdefault("c", c),
        tljh_new_user_create=lambda username: seen.setdefault("user", username),
        tljh_post_install=lambda: seen.setdefault("post", True),
    )
    pm = plugin_manager([FakeEntryPoint("watcher", plugin)])
    pm.hook.tljh_custom_jupyterhub_config(c="config")
    pm.hook.tljh_new_user_create(username="jupyter-alice")
    pm.hook.tljh_post_install()
    assert seen == {"c": "config", "user": "jupyter-alice", "post": True}


def test_describe_lists_versions_and_hooks():
    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", load_test_plugin())])
    infos = describe(pm)
    assert infos[0].name == BUILTIN_NAME and infos[0].distribution == "tljh-lite"
    assert infos[1].name == "tljh_lite_test_plugin" and infos[1].hooks == HOOK_NAMES


def test_plugin_flags_repeat_and_take_several_specs():
    options = parse_args(["--distro", "debian:12", "--plugin", "a", "b", "--plugin", "c"])
    assert options.plugins == ["a", "b", "c"]


# --- the hooks a course package needs: hub access, subcommands, accounts ---------------

def _hub_settings_with(pm, config):
    from tljh_lite.hub.access import with_plugin_access
    from tljh_lite.hub.settings import hub_settings

    merged = config_checker(pm).merged(config)
    return with_plugin_access(hub_settings(merged, usage_page_token="t"), per_plugin(pm, "tljh_lite_hub_access", config=merged))


def test_tljh_lite_hub_access_adds_services_roles_groups_and_unix_groups():
    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", load_test_plugin())])
    settings = _hub_settings_with(pm, {"test_plugin": {"members": ["ann"]},
                                       "groups": {"lab": {"users": ["bob"]}},
                                       "users": {"extra_user_groups": {"docker": ["bob"]}}})
    hub = settings["JupyterHub"]
    names = [service["name"] for service in hub["services"]]
    assert names[-1] == "test-plugin-service" and "cull-idle" in names and "usage" in names
    assert {"name": "test-plugin-visitors", "groups": ["test-plugin-group"],
            "scopes": ["access:services!service=test-plugin-service"]} in hub["load_roles"]
    assert hub["load_groups"] == {"lab": {"users": ["bob"]}, "test-plugin-group": {"users": ["ann"]}}
    assert settings["UserCreatingSpawner"]["user_groups"] == {"docker": ["bob"], "test-plugin-unix": ["ann"]}


def test_the_spawner_reads_the_unix_groups_from_config_yaml_at_each_server_start(tmp_path):
    """A course enrolment (a plugin's unix group) or extra_user_groups edit needs no hub restart."""
    from tljh_lite.hub.access import unix_groups
    from tljh_lite.hub.startup import unix_groups_now

    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", load_test_plugin())])
    config = {"test_plugin": {"members": ["ann"]}, "users": {"extra_user_groups": {"docker": ["bob"]}}}
    merged = config_checker(pm).merged(config)
    assert unix_groups(merged, per_plugin(pm, "tljh_lite_hub_access", config=merged)) == (
        _hub_settings_with(pm, config)["UserCreatingSpawner"]["user_groups"])
    paths = Paths(tmp_path)
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("users:\n  extra_user_groups:\n    docker: [bob]\n")
    assert unix_groups_now(paths)["docker"] == ["bob"]
    paths.config_file.write_text("users:\n  extra_user_groups:\n    docker: [bob, ann]\n")
    assert unix_groups_now(paths)["docker"] == ["bob", "ann"]


def test_a_plugin_service_whose_name_is_taken_stops_the_hub_in_one_line():
    from tljh_lite.hub.access import with_plugin_access
    from tljh_lite.errors import TljhError

    clash = [("greedy", {"services": [{"name": "usage", "url": "http://127.0.0.1:1"}]})]
    with pytest.raises(TljhError, match="plugin greedy adds a JupyterHub service named 'usage', a name that is taken"):
        with_plugin_access({"JupyterHub": {"services": [{"name": "usage"}]}}, clash)
    with pytest.raises(TljhError, match="unknown key 'servces'"):
        with_plugin_access({}, [("typo", {"servces": []})])


def test_plugin_groups_are_kept_exact_at_hub_start(tmp_path):
    """Members the hub database has but the plugin no longer lists leave the group (hub.startup)."""
    import sqlite3

    from tljh_lite.hub.access import exact_groups
    from tljh_lite.users.hubgroups import remove_stale_members

    db = tmp_path / "hub.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE groups (id INTEGER PRIMARY KEY, "
            "name TEXT); CREATE TABLE user_group_map (user_id INTEGER, group_id INTEGER);"
            "INSERT INTO users VALUES (1, 'ann'), (2, 'bob'); INSERT INTO groups VALUES (1, 'test-plugin-group');"
            "INSERT INTO user_group_map VALUES (1, 1), (2, 1);")
    groups = exact_groups([("tljh_lite_test_plugin", {"groups": {"test-plugin-group": ["ann"]}})])
    removed = remove_stale_members({"groups": {g: {"users": m} for g, m in groups.items()}}, db)
    assert removed == {"test-plugin-group": {"bob"}}


def test_tljh_lite_cli_commands_add_subcommands_to_tljh_lite(capsys):
    from tljh_lite.cli import tljh_lite

    plugin = load_test_plugin()
    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", plugin)])
    commands = [(name, command) for name, commands in per_plugin(pm, "tljh_lite_cli_commands") for command in commands]
    parser = tljh_lite.build_parser(Paths(), plugin_commands=commands)
    args = parser.parse_args(["test-plugin", "hi"])
    assert args.run(None, args) == 0
    assert capsys.readouterr().out == "test-plugin says hi\n"


def test_a_plugin_subcommand_with_a_taken_name_is_one_line():
    from tljh_lite.cli import tljh_lite

    class Squatter:
        @staticmethod
        def add_parsers(commands, common):
            commands.add_parser("backup", parents=[common])

    from tljh_lite.cli.framework import make_parser
    from tljh_lite.errors import TljhError

    with pytest.raises(TljhError, match="plugin squatter adds a tljh-lite subcommand that exists"):
        make_parser(Paths(), "tljh-lite", "", tljh_lite.SUBCOMMANDS, plugin_commands=[("squatter", Squatter)])


def test_tljh_lite_unix_accounts_are_recorded_by_backups_and_made_again_by_restore():
    from tljh_lite.backup import collect

    pm = plugin_manager([FakeEntryPoint("tljh_lite_test_plugin", load_test_plugin())])
    assert collect.plugin_accounts(pm) == ["tljh-test-plugin"]
    # an account that exists here stands for the plugin's: recorded with its home and groups, marked as a plugin's
    (root,) = collect.accounts(["root"])
    assert root["name"] == "root" and root["home"] == "/root" and root["plugin"] is True


def test_tljh_lite_reconcile_gets_the_config_and_errors_name_the_plugin():
    from tljh_lite.errors import TljhError
    from tljh_lite.plugins import reconcile

    seen = []
    fine = module("fine", tljh_lite_reconcile=lambda config: seen.append(config["greeting"]))
    assert reconcile(plugin_manager([FakeEntryPoint("fine", fine)]), {"greeting": "hi"}) == ["fine"]
    assert seen == ["hi"]
    broken = module("broken", tljh_lite_reconcile=lambda config: {}["missing"])
    with pytest.raises(PluginError, match="plugin broken could not set up what config.yaml asks: KeyError"):
        reconcile(plugin_manager([FakeEntryPoint("broken", broken)]), {})
    worded = module("worded", tljh_lite_reconcile=lambda config: (_ for _ in ()).throw(TljhError("no disk", "free some")))
    with pytest.raises(TljhError, match="^no disk; free some$"):
        reconcile(plugin_manager([FakeEntryPoint("worded", worded)]), {})


def test_a_plugin_that_cannot_reconcile_stops_the_reload_before_the_hub_restarts(tmp_path):
    from fakes import RecordingRunner
    from tljh_lite.errors import TljhError
    from tljh_lite.reload import reload

    paths = Paths(tmp_path)
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("users:\n  admin: [prof]\n")
    seen = []

    def refuse(config):
        seen.append(config["users"]["admin"])
        raise TljhError("course data101 has no instructor account", "add it first")

    pm = plugin_manager([FakeEntryPoint("refuser", module("refuser", tljh_lite_reconcile=refuse))])
    runner = RecordingRunner()
    with pytest.raises(TljhError, match="course data101 has no instructor account"):
        reload("hub", paths, config_checker(pm, paths), runner, pm=pm)
    assert seen == [["prof"]]  # the merged config it is about to start with
    assert not [c for c in runner.calls if "restart" in c]  # the hub was not touched


def test_plugins_installed_during_a_run_are_seen_by_plugins_loading_the_config_later(tmp_path):
    """A restore installs the backup's plugins after `tljh-lite` loaded the plugins once: the cached
    plugin manager (what a plugin's load_config() uses) is dropped, or their keys would be unknown."""
    from fakes import RecordingRunner
    from tljh_lite.installer.plugin_steps import install_plugins
    from tljh_lite.plugins import installed_plugins

    installed_plugins()
    assert installed_plugins.cache_info().currsize == 1
    runner = RecordingRunner()
    install_plugins(runner, Paths(tmp_path), ["/srv/plugins/my-course"])
    assert any("/srv/plugins/my-course" in call for call in runner.calls)
    assert installed_plugins.cache_info().currsize == 0
