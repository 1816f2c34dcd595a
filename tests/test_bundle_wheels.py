"""The Python side of a bundle: what tljh-lite and the plugins ask for, each environment resolved for
the target's Python and C library (not the maker's), and the maker's own pip settings left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tljh_lite.bundle import wanted as wanted_module
from tljh_lite.bundle.create import _built_wheels, _requirement_name, plugin_pins
from tljh_lite.bundle.targets import Target
from tljh_lite.bundle.wheels import PURE, Tools, local_requirement, pins_of, tool_env, without_local
from tljh_lite.errors import TljhError
from tljh_lite.plugins import plugin_manager
from tljh_lite.runner import Result

from fakes import RecordingRunner, load_test_plugin

COMPILED = """\
jupyterhub==6.1.1 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
tljh-lite @ file:///work/built/tljh_lite-0.3.0-py3-none-any.whl \\
    --hash=sha256:cccc
tljh-lite-shared-folders @ file:///work/built/tljh_lite_shared_folders-0.1.0-py3-none-any.whl
Tornado==6.5.2 \\
    --hash=sha256:dddd
"""


def test_every_release_is_resolved_for_its_own_python_and_c_library():
    bookworm, trixie = Target.of("bookworm", "amd64"), Target.of("trixie", "amd64")
    assert (bookworm.release.python, bookworm.python_abi, bookworm.uv_platform) == ("3.11", "cp311", "x86_64-manylinux_2_36")
    assert (trixie.release.python, trixie.python_abi, trixie.uv_platform) == ("3.13", "cp313", "x86_64-manylinux_2_40")
    platforms = bookworm.wheel_platforms
    assert platforms[0] == "manylinux_2_36_x86_64" and "manylinux_2_17_x86_64" in platforms
    assert "manylinux_2_37_x86_64" not in platforms  # newer than bookworm's glibc: would not run there
    assert {"manylinux2014_x86_64", "manylinux1_x86_64"} <= set(platforms)
    arm = Target.of("trixie", "arm64").wheel_platforms
    assert arm[0] == "manylinux_2_41_aarch64" and "manylinux1_aarch64" not in arm


@pytest.mark.parametrize("release, arch, phrase", [("sid", "amd64", "not 'sid'"), ("bookworm", "i386", "not 'i386'")])
def test_a_target_no_bundle_is_made_for_is_refused_in_one_line(release, arch, phrase):
    with pytest.raises(TljhError) as error:
        Target.of(release, arch)
    assert phrase in error.value.message and "--" in error.value.hint


def test_the_tools_run_without_this_machines_pip_and_uv_settings(tmp_path):
    mine = {"PATH": "/usr/bin", "PIP_FIND_LINKS": "/opt/wheels", "PIP_INDEX_URL": "https://elsewhere/simple",
            "UV_INDEX": "https://elsewhere", "https_proxy": "http://proxy:3128", "REQUESTS_CA_BUNDLE": "/no/such/file"}
    env = tool_env(mine, tmp_path, None)
    assert not any(k in env for k in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "UV_INDEX"))
    assert env["PIP_CONFIG_FILE"] == "/dev/null" and env["UV_NO_CONFIG"] == "1"
    assert env["https_proxy"] == "http://proxy:3128"  # the proxy of the environment is honoured
    assert env["PIP_CACHE_DIR"] == str(tmp_path / "pip") and env["UV_CACHE_DIR"] == str(tmp_path / "uv")
    mirror = tool_env(mine, tmp_path, "https://devpi.campus/simple/")
    assert mirror["UV_DEFAULT_INDEX"] == mirror["PIP_INDEX_URL"] == "https://devpi.campus/simple/"


def tools(tmp_path, answers=None) -> Tools:
    return Tools(tmp_path / "venv", tmp_path / "uv", RecordingRunner(answers), {"X": "1"})


def test_each_environment_is_compiled_for_the_target_with_hashes(tmp_path):
    made = tools(tmp_path)
    made.compile(Target.of("trixie", "amd64"), tmp_path / "hub.in", tmp_path / "hub.txt")
    [command] = made.runner.calls
    assert command[:3] == [str(tmp_path / "uv"), "pip", "compile"]
    assert command[command.index("--python-version") + 1] == "3.13"
    assert command[command.index("--python-platform") + 1] == "x86_64-manylinux_2_40"
    assert "--generate-hashes" in command


def test_the_pins_are_downloaded_for_the_target_alone(tmp_path):
    made = tools(tmp_path)
    (tmp_path / "wheels").mkdir()
    made.download(Target.of("bookworm", "amd64"), tmp_path / "pins.txt", tmp_path / "wheels", tmp_path / "kept")
    [command] = made.runner.calls  # nothing kept yet: from the index
    assert command[:4] == [str(tmp_path / "venv" / "bin" / "python"), "-m", "pip", "download"]
    assert "--no-deps" in command and command[command.index("--python-version") + 1] == "3.11"
    abis = [command[i + 1] for i, arg in enumerate(command) if arg == "--abi"]
    assert abis == ["cp311", "abi3", "none"]
    assert command.count("--platform") == len(Target.of("bookworm", "amd64").wheel_platforms)


def test_what_an_earlier_bundle_downloaded_is_taken_first_and_the_index_only_for_what_is_missing(tmp_path):
    kept, dest = tmp_path / "kept", tmp_path / "wheels"
    kept.mkdir()
    dest.mkdir()
    (kept / "six-1.17.0-py2.py3-none-any.whl").write_bytes(b"kept")
    target = Target.of("trixie", "amd64")
    everything_kept = tools(tmp_path)
    everything_kept.download(target, tmp_path / "pins.txt", dest, kept)
    [alone] = everything_kept.runner.calls
    assert "--no-index" in alone and alone[alone.index("--find-links") + 1] == str(kept)
    missing = tools(tmp_path, {(str(tmp_path / "venv" / "bin" / "python"),): Result([], 1, "", "No matching")})
    with pytest.raises(TljhError):  # the fake index fails too; what matters is that it was asked
        missing.download(target, tmp_path / "pins.txt", dest, kept)
    assert len(missing.runner.calls) == 2 and "--no-index" not in missing.runner.calls[1]


def test_a_source_only_package_must_build_into_a_pure_wheel(tmp_path):
    wheels, built = tmp_path / "wheels", tmp_path / "built"
    wheels.mkdir()
    (wheels / "onetimepass-1.0.1.tar.gz").write_bytes(b"sdist")
    (wheels / "zmq-native-2.0.tar.gz").write_bytes(b"sdist")

    class Building(RecordingRunner):
        def _execute(self, argv, *, input, env, timeout):
            out = Path(argv[argv.index("--out-dir") + 1])
            out.mkdir(exist_ok=True)
            name = Path(argv[-1]).name.replace(".tar.gz", "")
            tag = "py3-none-any" if name.startswith("onetimepass") else "cp313-cp313-linux_x86_64"
            (out / f"{name.replace('-', '_', 1)}-{tag}.whl").write_bytes(b"wheel")
            return super()._execute(argv, input=input, env=env, timeout=timeout)

    made = Tools(tmp_path / "venv", tmp_path / "uv", Building(), {})
    with pytest.raises(TljhError) as error:
        made.wheels_from_sources(Target.of("trixie", "amd64"), wheels, built)
    assert error.value.message.startswith("zmq-native-2.0.tar.gz has no wheel for Debian 13 (trixie)")
    assert "not pure Python" in error.value.message
    assert (wheels / "onetimepass_1.0.1-py3-none-any.whl").exists()  # the pure one made it in
    assert not (wheels / "onetimepass-1.0.1.tar.gz").exists()


def test_compiled_pins_are_read_and_local_wheels_are_not_downloaded():
    assert pins_of(COMPILED) == {"jupyterhub": "6.1.1", "tornado": "6.5.2"}
    remote = without_local(COMPILED)
    assert "file://" not in remote and "cccc" not in remote
    assert "jupyterhub==6.1.1" in remote and "--hash=sha256:dddd" in remote
    wheel = Path("/work/built/tljh_lite_shared_folders-0.1.0-py3-none-any.whl")
    assert local_requirement(wheel) == f"tljh_lite_shared_folders @ file://{wheel}"
    assert PURE.search(wheel.name) and not PURE.search("bcrypt-4.3.0-cp39-abi3-manylinux_2_28_x86_64.whl")


@pytest.mark.parametrize("spec, name", [("tljh-some-course", "tljh-some-course"), ("course==1.2", "course"),
                                        ("course[extra]>=1", "course"), ("course @ https://h/c.whl", "course"),
                                        ("course; python_version>'3'", "course")])
def test_a_plugin_requirement_names_its_distribution(spec, name):
    assert _requirement_name(spec) == name


def test_what_an_install_asks_for_comes_from_tljh_lite_and_the_plugins_hooks():
    pm = plugin_manager(entry_points=[])
    pm.register(load_test_plugin(), name="test-plugin")
    asked = wanted_module.wanted(pm)
    assert asked["apt"][:3] == ["node-configurable-http-proxy", "git", "sudo"]
    assert {"python3-venv", "certbot"} <= set(asked["apt"])  # bootstrap's, and HTTPS's for later
    assert "systemd-zram-generator" in asked["apt"]  # zram.enabled's (on by default), on a VM with no network
    assert "sl" in asked["apt"]  # the test plugin's
    assert "jupyterlab" in asked["user_pip"] and asked["hub_pip"] == ["tomli-w"] and "pyjokes" in asked["user_pip"]


def test_each_bundled_plugin_is_installed_at_the_version_bundled():
    hub = pins_of(COMPILED) | {"tljh-some-course": "1.2.0"}
    assert plugin_pins(["tljh_lite_shared_folders==0.1.0", "tljh-some-course", "Tljh_Some.Course"], hub) == [
        "tljh_lite_shared_folders==0.1.0", "tljh-some-course==1.2.0", "Tljh_Some.Course==1.2.0"]


def test_a_plugin_given_as_a_folder_is_built_and_named_as_its_distribution(tmp_path):
    folder = tmp_path / "tljh-lite-test-plugin"
    folder.mkdir()

    class Building:
        def build_wheel(self, source, out):
            name = "tljh_lite" if source == tmp_path else "tljh_lite_test_plugin"
            return out / f"{name}-1.0.0-py3-none-any.whl"

    built, lines, names = _built_wheels(Building(), tmp_path, [str(folder), "tljh-some-course>=1"], tmp_path / "o")
    assert [w.name for w in built] == ["tljh_lite-1.0.0-py3-none-any.whl", "tljh_lite_test_plugin-1.0.0-py3-none-any.whl"]
    assert lines[0].startswith("tljh_lite_test_plugin @ file://") and lines[1] == "tljh-some-course>=1"
    assert names == ["tljh-lite-test-plugin==1.0.0", "tljh-some-course"]
