"""Safe writes of config.yaml: atomic, private, locked, and untouched on failure."""

import os
import stat
import subprocess
import sys
import textwrap

import pytest
from filelock import FileLock

from tljh_lite.config import tree
from tljh_lite.config.file import ConfigFile
from tljh_lite.errors import ConfigBusyError, ConfigError

ORIGINAL = "# keep me\nlimits:\n  memory: 1G  # per student\n"


@pytest.fixture
def existing(config_path):
    config_path.parent.mkdir(mode=0o700)
    config_path.write_text(ORIGINAL)
    config_path.chmod(0o600)
    return config_path


def add_alice(config):
    return tree.add_item(config, ["users", "allowed"], "alice")


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_creates_a_private_file_in_a_private_directory(config_path):
    os.umask(0o022)
    assert ConfigFile(config_path).update(add_alice) is True
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_path.parent.stat().st_mode) == 0o700
    assert config_path.read_text() == "users:\n  allowed:\n  - alice\n"


def test_an_edit_keeps_comments_and_makes_the_file_private(existing):
    existing.chmod(0o644)
    ConfigFile(existing).update(add_alice)
    text = existing.read_text()
    assert text.startswith("# keep me\nlimits:\n  memory: 1G  # per student\n")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600


def test_nothing_is_written_when_nothing_changed(existing):
    before = existing.stat()
    assert ConfigFile(existing).update(lambda config: config) is False
    assert ConfigFile(existing).update(lambda config: tree.set_item(config, ["limits", "memory"], "1G")) is False
    after = existing.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("failing", ["os.replace", "os.fsync"])
def test_a_failure_during_the_write_leaves_the_file_byte_identical(existing, monkeypatch, failing):
    def boom(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(failing, boom)
    with pytest.raises(OSError, match="disk on fire"):
        ConfigFile(existing).update(add_alice)
    monkeypatch.undo()
    assert existing.read_bytes() == ORIGINAL.encode()
    assert leftovers(existing.parent) == []


def test_a_failing_edit_function_writes_nothing(existing):
    def bad(config):
        raise ConfigError("nope")

    with pytest.raises(ConfigError):
        ConfigFile(existing).update(bad)
    assert existing.read_bytes() == ORIGINAL.encode()


def test_refuses_to_overwrite_a_file_changed_while_editing(existing):
    def edited_elsewhere_meanwhile(config):
        existing.write_text("limits:\n  memory: 2G\n")
        return add_alice(config)

    with pytest.raises(ConfigError, match="changed by something else"):
        ConfigFile(existing).update(edited_elsewhere_meanwhile)
    assert existing.read_text() == "limits:\n  memory: 2G\n"
    assert leftovers(existing.parent) == []


def test_a_held_lock_gives_a_clear_busy_error(existing):
    with FileLock(str(existing) + ".lock"):
        with pytest.raises(ConfigBusyError) as raised:
            ConfigFile(existing, lock_timeout=0.2).update(add_alice)
    assert "another tljh-config is changing" in raised.value.one_line()
    assert existing.read_bytes() == ORIGINAL.encode()


def test_invalid_yaml_on_disk_is_reported_with_its_line(existing):
    existing.write_text("limits:\n  memory: [1G\n")
    with pytest.raises(ConfigError, match=r"is not valid YAML at line \d+"):
        ConfigFile(existing).load()


def test_a_yaml_list_at_top_level_is_refused(existing):
    existing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        ConfigFile(existing).load()


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_the_owner_of_an_existing_file_is_kept(existing):
    os.chown(existing, 1234, 1234)
    ConfigFile(existing).update(add_alice)
    assert (existing.stat().st_uid, existing.stat().st_gid) == (1234, 1234)


def test_concurrent_processes_lose_no_update(existing):
    """Four processes each add twenty users at once; all 80 must be there. (Eight, on a loaded 2-core
    machine, queued past the 5 s a tljh-config waits for another's lock, which is the product working.)"""
    script = textwrap.dedent(
        """
        import sys
        from tljh_lite.cli.tljh_config import main
        path, worker = sys.argv[1], sys.argv[2]
        for i in range(20):
            code = main(["--config-path", path, "add-item", "users.allowed", f"u{worker}x{i}"])
            assert code == 0, code
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(existing), str(w)], stdout=subprocess.DEVNULL)
        for w in range(4)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0] * 4
    allowed = ConfigFile(existing).load()["users"]["allowed"]
    assert sorted(allowed) == sorted(f"u{w}x{i}" for w in range(4) for i in range(20))
    assert existing.read_text().startswith("# keep me\n")
