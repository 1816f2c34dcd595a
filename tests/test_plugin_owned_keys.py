"""Keys a plugin without a schema writes in tljh_config_post_install (TLJH's way):
kept, owned by that plugin, listed, and no reason to fail an install or an edit."""

from __future__ import annotations

import pytest

from tljh_lite import hooks
from fakes import FakeEntryPoint, load_test_plugin, module
from tljh_lite.config import yaml
from tljh_lite.config.checker import config_checker
from tljh_lite.config.editor import Editor
from tljh_lite.config.owned import read_owned
from tljh_lite.config.schema import owned_keys_of
from tljh_lite.errors import ConfigError
from tljh_lite.installer.plugin_steps import apply_config_hooks
from tljh_lite.paths import Paths
from tljh_lite.plugins import PluginError, plugin_manager


def simplest(config):
    # TLJH's own integration-test plugin, word for word.
    config["Test"] = {"tljh_config_set_by_simplest_plugin": True}


def installed(tmp_path, *plugins, text="limits:\n  memory: 1G\n"):
    paths = Paths(tmp_path)
    paths.config_dir.mkdir()
    paths.config_file.write_text(text)
    pm = plugin_manager([FakeEntryPoint(name, plugin) for name, plugin in plugins])
    return paths, pm


def test_a_key_written_by_a_plugin_without_schema_is_kept_and_owned(tmp_path):
    paths, pm = installed(tmp_path, ("simplest", module("simplest", tljh_config_post_install=simplest)))
    assert apply_config_hooks(pm, paths, config_checker(pm, paths)) is True
    assert yaml.loads(paths.config_file.read_text())["Test"] == {"tljh_config_set_by_simplest_plugin": True}
    assert read_owned(paths) == {"Test": "simplest"}
    checker = config_checker(pm, paths)
    checker.check(yaml.loads(paths.config_file.read_text()))
    assert apply_config_hooks(pm, paths, checker) is False  # a re-run changes nothing


def test_edits_still_work_with_an_owned_key_present_and_typos_still_fail(tmp_path):
    paths, pm = installed(tmp_path, ("simplest", module("simplest", tljh_config_post_install=simplest)))
    apply_config_hooks(pm, paths, config_checker(pm, paths))
    editor = Editor(config_checker(pm, paths))
    config = yaml.loads(paths.config_file.read_text())
    assert editor.set(config, "limits.memory", "2G").config["limits"]["memory"] == "2G"
    with pytest.raises(ConfigError, match="unknown key limits.memroy") as typo:
        editor.set(config, "limits.memroy", "2G")
    assert typo.value.hint == "did you mean limits.memory?"
    with pytest.raises(ConfigError, match="unknown key nobody_owns_this"):
        editor.set(config, "nobody_owns_this.x", "1")
    # The owner's key may be edited by hand, unchecked, like in TLJH.
    assert editor.set(config, "Test.note", "hi").config["Test"]["note"] == "hi"


def test_an_owned_key_is_unknown_again_once_its_plugin_is_gone(tmp_path):
    paths, pm = installed(tmp_path, ("simplest", module("simplest", tljh_config_post_install=simplest)))
    apply_config_hooks(pm, paths, config_checker(pm, paths))
    without = config_checker(plugin_manager(entry_points=[]), paths)
    with pytest.raises(ConfigError, match="unknown key Test"):
        without.check(yaml.loads(paths.config_file.read_text()))


def test_a_plugin_cannot_own_a_typo_of_a_built_in_key(tmp_path):
    def clumsy(config):
        config["Test"] = {}
        config["limits"]["memroy"] = "1G"

    paths, pm = installed(tmp_path, ("clumsy", module("clumsy", tljh_config_post_install=clumsy)))
    with pytest.raises(PluginError, match="plugin clumsy made config.yaml invalid: unknown key limits.memroy"):
        apply_config_hooks(pm, paths, config_checker(pm, paths))
    assert paths.config_file.read_text() == "limits:\n  memory: 1G\n"


def test_a_plugin_with_a_schema_gets_full_checking(tmp_path):
    plugin = load_test_plugin()
    original = plugin.tljh_config_post_install

    def writes_more(config):
        original(config)
        config["test_plugin_extra"] = 1

    plugin.tljh_config_post_install = hooks.hookimpl(writes_more)
    paths, pm = installed(tmp_path, ("tljh_lite_test_plugin", plugin))
    with pytest.raises(PluginError, match="plugin tljh_lite_test_plugin made config.yaml invalid: unknown key test_plugin_extra"):
        apply_config_hooks(pm, paths, config_checker(pm, paths))
    assert read_owned(paths) == {}


def test_tljh_config_plugins_lists_the_owned_keys(tmp_path, capsys, monkeypatch):
    from tljh_lite.cli import plugins as cli_plugins
    from tljh_lite.cli.context import Context

    paths, pm = installed(tmp_path, ("simplest", module("simplest", tljh_config_post_install=simplest)))
    apply_config_hooks(pm, paths, config_checker(pm, paths))
    monkeypatch.setattr("tljh_lite.plugins.plugin_manager", lambda: pm)
    assert cli_plugins.run(Context(paths, paths.config_file), None) == 0
    out = capsys.readouterr().out
    assert "simplest  (? ?)\n    tljh_config_post_install\n    unchecked config keys owned by this plugin: Test\n" in out


def test_a_plugin_that_later_declares_a_schema_for_its_key_gets_it_checked(tmp_path):
    paths, pm = installed(tmp_path, ("simplest", module("simplest", tljh_config_post_install=simplest)))
    apply_config_hooks(pm, paths, config_checker(pm, paths))
    schema = lambda: {"Test": {"type": "object", "properties": {"tljh_config_set_by_simplest_plugin": {"type": "boolean"}}}}  # noqa: E731
    upgraded = plugin_manager([FakeEntryPoint("simplest", module("simplest", tljh_config_post_install=simplest,
                                                                 tljh_lite_config_schema=schema))])
    checker = config_checker(upgraded, paths)
    assert owned_keys_of(checker.schema) == {}
    with pytest.raises(ConfigError, match="Test.tljh_config_set_by_simplest_plugin must be true or false"):
        checker.check({"Test": {"tljh_config_set_by_simplest_plugin": "yes"}})


def test_a_key_already_in_the_file_is_owned_when_the_plugin_writes_it_again(tmp_path):
    """config.yaml restored from a backup, or from before the record existed: same value, still owned."""
    paths, pm = installed(tmp_path, ("simplest", module("simplest", tljh_config_post_install=simplest)),
                          text="Test:\n  tljh_config_set_by_simplest_plugin: true\n")
    assert apply_config_hooks(pm, paths, config_checker(pm, paths)) is False  # nothing to write
    assert read_owned(paths) == {"Test": "simplest"}
    config_checker(pm, paths).check(yaml.loads(paths.config_file.read_text()))
