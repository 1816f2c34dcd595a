"""The students' environment's JupyterHub without the hub's database layer (tljh_lite/installer/singleuser_trim.py),
on a stand-in JupyterHub whose modules say when they load: the same lines as JupyterHub 6.1's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tljh_lite.installer import lazyimport
from tljh_lite.installer.singleuser_trim import EDITS, edited, site_packages, trim_singleuser

from fakes import RecordingRunner

LOADS = 'print("loaded", __name__)\n'
STAND_IN = {
    "jupyterhub/__init__.py": "",
    "jupyterhub/orm.py": LOADS + "class Server:\n    pass\n",
    "jupyterhub/roles.py": LOADS,
    "jupyterhub/handlers/__init__.py": LOADS,
    "jupyterhub/handlers/pages.py": LOADS + "class HealthCheckHandler:\n    pass\n",
    "sqlalchemy/__init__.py": LOADS,
    "sqlalchemy/exc.py": LOADS + "class SQLAlchemyError(Exception):\n    pass\n",
    "jupyterhub/scopes.py": "import re\nimport sqlalchemy as sa\n\nfrom . import orm, roles\n\n\n"
                            "def groups(db):\n    return db.query(orm.Server)\n",
    "jupyterhub/metrics.py": "from . import orm\n",
    "jupyterhub/utils.py": textwrap.dedent("""\
        from sqlalchemy.exc import SQLAlchemyError


        def catch_db_error(f):
            def catching():
                try:
                    return f()
                except SQLAlchemyError:
                    return "rolled back"
            return catching
        """),
    "jupyterhub/log.py": textwrap.dedent("""\
        from .handlers.pages import HealthCheckHandler
        StaticFileHandler = type("StaticFileHandler", (), {})


        def quiet(handler):
            return isinstance(handler, StaticFileHandler | HealthCheckHandler)
        """),
}


def stand_in(root: Path) -> Path:
    site = root / "user" / "lib" / "python3.11" / "site-packages"
    for name, text in STAND_IN.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    return site


def run(site: Path, code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          check=True).stdout


def test_the_stand_in_loads_the_database_layer_as_jupyterhub_does(tmp_path):
    out = run(stand_in(tmp_path), "import jupyterhub.scopes, jupyterhub.metrics, jupyterhub.utils, jupyterhub.log")
    assert "loaded jupyterhub.orm" in out and "loaded sqlalchemy" in out and "loaded jupyterhub.handlers.pages" in out


def test_trimmed_the_server_imports_no_database_layer_and_still_works(tmp_path):
    site = stand_in(tmp_path)
    runner = RecordingRunner()
    said = trim_singleuser(runner, "/opt/tljh/user/bin/python3", tmp_path / "user")
    assert said.startswith("JupyterHub's single-user server trimmed: 5 files")
    out = run(site, """
        import jupyterhub.scopes, jupyterhub.metrics, jupyterhub.utils, jupyterhub.log
        print("imported")
        print(jupyterhub.log.quiet(object()), jupyterhub.log.quiet(jupyterhub.log.StaticFileHandler()))
        def fails():
            import sqlalchemy.exc
            raise sqlalchemy.exc.SQLAlchemyError()
        print(jupyterhub.utils.catch_db_error(fails)())
        print(jupyterhub.scopes.orm.Server.__name__)
    """)
    before_use, after = out.split("imported\n")
    assert "loaded" not in before_use  # nothing of the database layer at import
    assert after.startswith("False True\n")  # the isinstance check without importing the handlers
    assert "loaded jupyterhub.handlers" not in after
    assert "rolled back" in after  # the except clause still catches SQLAlchemy's error
    assert after.rstrip().endswith("loaded jupyterhub.orm\nServer")  # loaded when used, and only then
    # The changed files and the helper are compiled with the students' Python (they cannot do it themselves).
    (compile_call,) = runner.calls
    assert compile_call[:3] == ["/opt/tljh/user/bin/python3", "-m", "py_compile"]
    assert str(site / f"{lazyimport.MODULE_NAME}.py") in compile_call
    assert (site / f"{lazyimport.MODULE_NAME}.py").read_text() == Path(lazyimport.__file__).read_text()


def test_a_second_run_changes_nothing(tmp_path):
    site = stand_in(tmp_path)
    trim_singleuser(RecordingRunner(), "python3", tmp_path / "user")
    texts = {name: (site / name).read_text() for name in STAND_IN}
    runner = RecordingRunner()
    assert trim_singleuser(runner, "python3", tmp_path / "user") == "JupyterHub's single-user server is trimmed already"
    assert runner.calls == [] and {name: (site / name).read_text() for name in STAND_IN} == texts


def test_the_files_uv_shares_by_hard_links_with_the_hub_stay_as_they_were(tmp_path):
    # uv installs by hard links to its cache: the hub's environment holds the same inodes.
    site = stand_in(tmp_path)
    hub_copy = tmp_path / "hub-scopes.py"
    os.link(site / "jupyterhub/scopes.py", hub_copy)
    trim_singleuser(RecordingRunner(), "python3", tmp_path / "user")
    assert hub_copy.read_text() == STAND_IN["jupyterhub/scopes.py"]
    assert "lazy_module" in (site / "jupyterhub/scopes.py").read_text()


def test_another_jupyterhub_is_left_alone_whole(tmp_path):
    site = stand_in(tmp_path)
    (site / "jupyterhub/log.py").write_text("from .handlers import pages\n")  # a version we do not know
    runner = RecordingRunner()
    said = trim_singleuser(runner, "python3", tmp_path / "user")
    assert said.startswith("JupyterHub's single-user server left as it is: jupyterhub/log.py is not the one")
    assert runner.calls == [] and not (site / f"{lazyimport.MODULE_NAME}.py").exists()
    assert (site / "jupyterhub/scopes.py").read_text() == STAND_IN["jupyterhub/scopes.py"]  # nothing half done


def test_no_jupyterhub_nothing_to_do(tmp_path):
    assert site_packages(tmp_path / "user") is None
    assert trim_singleuser(RecordingRunner(), "python3", tmp_path / "user").startswith("no JupyterHub")


def test_an_edit_with_nothing_to_replace_or_that_breaks_a_module_is_a_refusal_never_a_guess():
    texts = {path: STAND_IN[path] for path in {e.path for e in EDITS}}
    assert isinstance(edited(texts), dict)
    assert "is not the one" in edited({**texts, "jupyterhub/metrics.py": ""})
    twice = {**texts, "jupyterhub/metrics.py": "from . import orm\nfrom . import orm\n"}
    assert "is not the one" in edited(twice)
    broken = {**texts, "jupyterhub/utils.py": "from sqlalchemy.exc import SQLAlchemyError\n        except SQLAlchemyError:\n"}
    assert "would not compile" in edited(broken)


def test_lazy_module_runs_a_module_at_its_first_use(tmp_path, monkeypatch):
    (tmp_path / "slowmod.py").write_text("import builtins\nbuiltins.SLOWMOD_RAN = True\nvalue = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    module = lazyimport.lazy_module("slowmod")
    try:
        assert not hasattr(builtins, "SLOWMOD_RAN")
        assert module.value == 42 and builtins.SLOWMOD_RAN
        assert lazyimport.lazy_module("slowmod") is module
        assert lazyimport.if_loaded("slowmod", "value") == (42,)
        assert lazyimport.if_loaded("never_imported_module", "x") == ()
        assert lazyimport.imported("json", "dumps") is __import__("json").dumps
        with pytest.raises(ModuleNotFoundError):
            lazyimport.lazy_module("no_such_module_here")
    finally:
        sys.modules.pop("slowmod", None)
        if hasattr(builtins, "SLOWMOD_RAN"):
            del builtins.SLOWMOD_RAN
