"""Shared fixtures: a config file of the test's own, and ways to run tljh-config."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tljh_lite.cli.tljh_config import main
from tljh_lite.config.rules import BUILT_IN_RULES
from tljh_lite.config.schema import build_schema
from tljh_lite.config.checker import Checker


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "config.yaml"


@pytest.fixture
def checker() -> Checker:
    return Checker(build_schema(), BUILT_IN_RULES)


@pytest.fixture
def cli(config_path, capsys):
    """Run tljh-config in this process against the test's config file."""

    def run(*args: str) -> Result:
        code = main(["--config-path", str(config_path), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_process(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run tljh-config as a separate process, as a professor would."""
    return subprocess.run(
        [sys.executable, "-m", "tljh_lite.cli.tljh_config", *args], capture_output=True, text=True, **kwargs
    )
