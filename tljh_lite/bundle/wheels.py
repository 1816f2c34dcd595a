"""The Python side of a bundle: every wheel both environments install, for the target's Python.

uv resolves each environment for the target (`uv pip compile --python-version
--python-platform`), so markers and wheels are the target's, whatever Python
makes the bundle. pip downloads exactly those pins (`pip download --no-deps`
with the target's tags), checked against the hashes uv recorded. A package
with no wheel on the index is built into one here, and must then be pure
Python (a wheel that runs anywhere): anything else would need the target's
compiler, and is refused in one line.

The tools run isolated from this machine's own pip settings (pip.conf files,
PIP_* and UV_* variables), so a bundle depends on what is asked for, the
index, and the network only; the web proxy and the CA bundle of the
environment are honoured.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Mapping

from ..errors import TljhError
from ..installer.cabundle import ca_bundle_env
from ..runner import Runner
from .targets import Target

PURE = re.compile(r"-(py2\.)?py3-none-any\.whl$")
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")
SOURCE_ARCHIVES = (".tar.gz", ".zip", ".tar.bz2")


def tool_env(environ: Mapping[str, str], cache: Path, index_url: str | None) -> dict[str, str]:
    """The environment uv and pip run in: this machine's, without its pip and uv settings."""
    env = {k: v for k, v in environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(ca_bundle_env(environ))
    env.update({
        "PIP_CONFIG_FILE": os.devnull,  # no pip.conf of this machine's
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": str(cache / "pip"),
        "UV_CACHE_DIR": str(cache / "uv"),
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
    })
    if index_url:
        env["UV_DEFAULT_INDEX"] = env["PIP_INDEX_URL"] = index_url
    return env


class Tools:
    """uv, and a pip to download with, for making bundles (kept in the cache between bundles)."""

    def __init__(self, venv: Path, uv: Path, runner: Runner, env: dict[str, str]):
        self.venv = venv
        self.uv = uv
        self.runner = runner
        self.env = env

    @property
    def pip(self) -> list[str]:
        return [str(self.venv / "bin" / "python"), "-m", "pip"]

    @classmethod
    def ensure(cls, venv: Path, runner: Runner, env: dict[str, str]) -> "Tools":
        """Use the uv beside this Python (the hub's) or on PATH; else make a venv with pip and install it."""
        found = shutil.which("uv", path=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
        if not (venv / "bin" / "python").exists():
            if found:
                runner.run([found, "venv", "--seed", "--python", sys.executable, str(venv)], env=env)
            else:
                try:
                    runner.run([sys.executable, "-m", "venv", str(venv)], env=env)
                except TljhError as e:
                    shutil.rmtree(venv, ignore_errors=True)
                    raise TljhError(
                        f"cannot make a Python environment for the bundle's tools ({e.message})",
                        "install python3-venv (sudo apt-get install python3-venv) or uv, and run this again",
                    ) from e
        uv = Path(found) if found else venv / "bin" / "uv"
        if not uv.exists():
            runner.run([*cls(venv, uv, runner, env).pip, "install", "--quiet", "uv>=0.10"], env=env,
                       hint="check this machine's network (or its web proxy)")
        return cls(venv, uv, runner, env)

    def run(self, *args: str, hint: str | None = None, env: dict[str, str] | None = None) -> str:
        return self.runner.run([str(a) for a in args], env=env or self.env, hint=hint, timeout=1800).stdout

    def build_wheel(self, source: Path, out: Path) -> Path:
        """A wheel of a checkout, a plugin's folder or a source archive."""
        before = set(out.glob("*.whl")) if out.exists() else set()
        self.run(self.uv, "build", "--wheel", "--out-dir", out, source, hint=f"{source} could not be built")
        made = sorted(set(out.glob("*.whl")) - before, key=lambda p: p.stat().st_mtime)
        if not made:  # the same wheel again (a cache hit): the newest of its name
            made = sorted(out.glob("*.whl"), key=lambda p: p.stat().st_mtime)
        return made[-1]

    def environment_with(self, venv: Path, requirements: list[str]) -> Path:
        """A throwaway venv of this machine's Python holding `requirements` (tljh-lite and the plugins)."""
        shutil.rmtree(venv, ignore_errors=True)
        self.run(self.uv, "venv", "--python", sys.executable, venv)
        self.run(self.uv, "pip", "install", "--python", venv / "bin" / "python", *requirements,
                 hint="a plugin given with --plugin could not be installed")
        return venv

    def wanted(self, venv: Path) -> dict[str, list[str]]:
        """What that tljh-lite and those plugins ask an install for (tljh_lite/bundle/wanted.py)."""
        env = {k: v for k, v in self.env.items() if k != "TLJH_LITE_PLUGINS"}
        return json.loads(self.run(venv / "bin" / "python", "-m", "tljh_lite.bundle.wanted", env=env))

    def compile(self, target: Target, requirements: Path, out: Path) -> Path:
        """Pin every package `requirements` needs on the target, with the hashes of their files."""
        self.run(
            self.uv, "pip", "compile", "--quiet", "--python-version", target.release.python,
            "--python-platform", target.uv_platform, "--generate-hashes", "--no-header", "--no-annotate",
            "--output-file", out, requirements,
            hint=f"these requirements cannot be met together on {target.describe()}",
        )
        return out

    def download(self, target: Target, pins: Path, dest: Path, kept: Path) -> None:
        """The pinned files for the target: a wheel where the index has one that fits, else the source.

        `kept` holds what earlier bundles downloaded: pip takes the pins from it alone
        first (no index: it still picks only files for the target, with the hashes uv
        pinned), and goes to the index only if something is missing there; what it
        downloads then is kept for the next bundle. (pip's own HTTP cache does the
        same where the network lets it; a TLS-inspecting proxy can defeat it.)
        """
        tags = ["--python-version", target.release.python, "--implementation", "cp",
                "--abi", target.python_abi, "--abi", "abi3", "--abi", "none"]
        for platform in target.wheel_platforms:
            tags += ["--platform", platform]
        command = [*self.pip, "download", "--quiet", "--progress-bar", "off", "--no-deps", "--dest", str(dest), *tags,
                   "--requirement", str(pins)]
        kept.mkdir(parents=True, exist_ok=True)
        if any(kept.iterdir()):
            if self.runner.run([*command, "--no-index", "--find-links", str(kept)], env=self.env, check=False,
                               quiet=True, timeout=1800).ok:
                return
        self.run(*command, hint="a pinned package could not be downloaded")
        for path in dest.iterdir():
            if not (kept / path.name).exists():
                shutil.copy2(path, kept / path.name)

    def wheels_from_sources(self, target: Target, directory: Path, build_dir: Path) -> None:
        """Replace the source archives pip had to download by wheels built here, which must be pure Python."""
        for archive in sorted(p for p in directory.iterdir() if p.name.endswith(SOURCE_ARCHIVES)):
            wheel = self.build_wheel(archive, build_dir)
            if not PURE.search(wheel.name):
                raise TljhError(
                    f"{archive.name} has no wheel for {target.describe()} on the index, and is not pure Python",
                    "ask its authors for a manylinux wheel, or leave the package out of the bundle",
                )
            shutil.move(wheel, directory / wheel.name)
            archive.unlink()


def local_requirement(wheel: Path) -> str:
    """A requirement naming a wheel file (a checkout or a plugin folder built here)."""
    name = wheel.name.split("-")[0]
    return f"{name} @ {wheel.resolve().as_uri()}"


def pins_of(text: str) -> dict[str, str]:
    """{name: version} of a compiled requirements file (its `name==version` lines)."""
    return {normalize(m.group("name")): m.group("version") for m in map(_PIN.match, text.splitlines()) if m}


def without_local(text: str) -> str:
    """The compiled requirements without the lines naming local files (built here, not downloaded)."""
    out, skipping = [], False
    for line in text.splitlines():
        if not line.startswith((" ", "\t")):
            skipping = " @ file:" in line
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
