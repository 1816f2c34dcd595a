"""What several test modules share: a Runner that records commands instead of running them, what a password
store holds, fake plugins and entry points, and the hub settings a few `tljh-config` lines give."""

from __future__ import annotations

import dbm
import importlib.util
import inspect
import types
from pathlib import Path

from traitlets.config import Config

from tljh_lite import hooks
from tljh_lite.config.file import ConfigFile
from tljh_lite.hub.settings import apply, hub_settings
from tljh_lite.paths import Paths
from tljh_lite.runner import Result, Runner
from tljh_lite.users import passwords

PY = "/opt/tljh/hub/bin/python3"


class RecordingRunner(Runner):
    def __init__(self, answers: dict[tuple[str, ...], Result] | None = None):
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def _execute(self, argv, *, input, env, timeout) -> Result:
        self.calls.append(argv)
        for prefix, result in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return result
        return Result(argv, 0, "", "")


def stored(paths: Paths) -> dict[str, str]:
    """FirstUse's password database as {name: hash}; {} when there is none."""
    try:
        with dbm.open(str(passwords.passwords_dbm(paths)), "r") as db:
            return {key.decode(): db[key].decode() for key in db.keys()}
    except dbm.error:
        return {}


ROOT = Path(__file__).parent.parent
TEST_PLUGIN = ROOT / "plugins" / "tljh-lite-test-plugin" / "tljh_lite_test_plugin.py"
HOOK_NAMES = sorted(name for name, f in inspect.getmembers(hooks, inspect.isfunction) if name.startswith("tljh_"))


class FakeEntryPoint:
    def __init__(self, name, module=None, error=None):
        self.name, self.module, self.error, self.dist = name, module, error, None

    def load(self):
        if self.error:
            raise self.error
        return self.module


def module(name: str, **functions) -> types.ModuleType:
    mod = types.ModuleType(name)
    for fname, f in functions.items():
        setattr(mod, fname, hooks.hookimpl(f))
    return mod


def load_test_plugin() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("tljh_lite_test_plugin", TEST_PLUGIN)
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    return plugin


def configured(cli, config_path, checker, *lines: str) -> Config:
    """Run each `tljh-config ...` line, then build the hub's traitlets config from the file."""
    for line in lines:
        result = cli(*line.split())
        assert result.code == 0, f"{line}: {result.err}"
    merged = checker.merged(ConfigFile(config_path).load())
    c = Config()
    apply(c, hub_settings(merged))
    return c
