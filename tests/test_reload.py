"""reload's pieces that need no running hub: the journal reason, the last good config."""

from tljh_lite.lastgood import LastGood
from tljh_lite.paths import Paths
from tljh_lite.systemd import reason_from_journal

JOURNAL = """\
[I 2026-11-27 00:10:01.000 JupyterHub app:3000] Running JupyterHub version 6.1.1
[E 2026-11-27 00:10:01.100 JupyterHub app:3100] Failed to load config
Traceback (most recent call last):
  File "/opt/tljh/config/jupyterhub_config.d/broken.py", line 1
    this is not python
         ^^
SyntaxError: invalid syntax
jupyterhub.service: Main process exited, code=exited, status=1/FAILURE
"""


def test_the_reason_is_the_last_exception_line():
    assert reason_from_journal(JOURNAL) == "SyntaxError: invalid syntax"
    assert reason_from_journal("tljh_lite.errors.ConfigError: limits.cpu must be a number\nexited\n") == (
        "tljh_lite.errors.ConfigError: limits.cpu must be a number"
    )


def test_without_an_exception_the_last_line_is_the_reason():
    assert reason_from_journal("starting\nKilled\n") == "Killed"
    assert reason_from_journal("") == "no output in the journal"


def test_last_good_restores_config_and_snippets_and_keeps_the_rejected_ones(tmp_path):
    paths = Paths(tmp_path)
    paths.config_d.mkdir(parents=True)
    paths.state_dir.mkdir()
    paths.config_file.write_text("limits:\n  memory: 1G\n")
    (paths.config_d / "good.py").write_text("c.Spawner.x = 1\n")
    last_good = LastGood(paths)
    assert not last_good.exists()
    last_good.save()

    paths.config_file.write_text("limits:\n  memory: 2G\n")
    (paths.config_d / "broken.py").write_text("this is not python\n")
    rejected = last_good.restore()

    assert paths.config_file.read_text() == "limits:\n  memory: 1G\n"
    assert sorted(p.name for p in paths.config_d.iterdir()) == ["good.py"]
    assert (rejected / "config.yaml").read_text() == "limits:\n  memory: 2G\n"
    assert (rejected / "config.d-broken.py").read_text() == "this is not python\n"
    assert rejected.parent == paths.config_dir / "rejected"
