"""Every package the installer adds, to either environment, goes through here:
uv, bytecode compiled, and bootstrap's excludes applied (see Paths.uv_excludes)."""

from __future__ import annotations

from ..runner import Runner
from ..paths import Paths


def uv(paths: Paths) -> str:
    return str(paths.hub_venv / "bin" / "uv")


def install_command(paths: Paths, python: str, requirements: list[str]) -> list[str]:
    command = [uv(paths), "pip", "install", "--python", python, "--compile-bytecode"]
    if paths.uv_excludes.exists():
        command += ["--excludes", str(paths.uv_excludes)]
    return command + requirements


def pip_install_into(runner: Runner, paths: Paths, python: str, requirements: list[str], hint: str,
                     env: dict | None = None) -> None:
    runner.run(install_command(paths, python, requirements), env=env, hint=hint)
