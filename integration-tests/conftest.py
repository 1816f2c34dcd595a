"""Fixtures for tests that run the real installer in systemd containers.

- `docker_engine` (session): a Docker engine that answers; leftovers of
  crashed earlier runs are removed.
- `release` (session, parametrised): each test that uses it runs once per
  Debian release; `--release bookworm` limits the run.
- `image` (session): the cached test image of `release`.
- `containers` (function) / `session_containers` (session): factories whose
  containers are removed when the scope ends. Start containers only through
  them: when a test fails, every live container of the factories the test
  uses (directly or through other fixtures) gets its `diagnostics()` attached
  to the report. A later session-scoped "installed hub" fixture should take
  `session_containers`, so its logs show up when its tests fail.
- `hub` / `plugin_hub` (session): tljh-lite installed with bootstrap, shared
  by the modules that can share them. `fresh_install` (session): another
  machine just installed, started from `hub`'s files as they were when its
  install finished (`installed.Snapshot`): for a test whose subject is not the
  install (HTTPS, a restore's target), a container's boot instead of a second
  install. Every install that is itself tested runs bootstrap.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

# The unit tests' test CA (tests/testca.py) makes certificates here too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
# browser.py's asserts were test_browser.py's: pytest keeps explaining them when they fail.
pytest.register_assert_rewrite("browser")

from containers import (Container, ContainerFactory, remove_orphaned_containers,  # noqa: E402
                        remove_orphaned_images, remove_orphaned_networks)
from engine import RELEASES, ensure_dockerd, ensure_image  # noqa: E402

log = logging.getLogger(__name__)

pytest_plugins = ["module_times"]

_FUNCTION_FACTORY = pytest.StashKey[ContainerFactory]()
_SESSION_FACTORY = pytest.StashKey[ContainerFactory]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tljh-lite integration")
    group.addoption(
        "--release", action="append", choices=RELEASES, default=None,
        help="Debian release to test on (repeatable; default: all of "
             f"{', '.join(RELEASES)})",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Bundles and the campus's image take minutes to make and need no container: when the session runs
    test_offline.py or test_proxy.py, they are made in the background while the modules before run."""
    modules = {item.module.__name__ for item in session.items if getattr(item, "module", None)}
    if session.config.option.collectonly or not modules & {"test_offline", "test_proxy"}:
        return
    from bundles import prefetch
    from campus import campus_server_image

    ensure_dockerd()
    releases = session.config.getoption("release") or list(RELEASES)
    prefetch(releases, also=[campus_server_image] if "test_proxy" in modules else [])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "releases(*names): run this test on these Debian releases only (a release's "
                                       "share of a costly proof; deselected elsewhere, never skipped)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselects the tests marked `releases(...)` for the other releases."""
    dropped = [item for item in items if (marker := item.get_closest_marker("releases"))
               and getattr(item, "callspec", None) and item.callspec.params.get("release") not in marker.args]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "release" in metafunc.fixturenames:
        releases = metafunc.config.getoption("release") or list(RELEASES)
        # Session scope: session fixtures that depend on `release` (the image,
        # an installed hub) exist once per release, and pytest groups the tests
        # by release so only one such set is alive at a time.
        metafunc.parametrize("release", releases, indirect=True, scope="session")


@pytest.fixture(scope="session")
def release(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def docker_engine() -> None:
    ensure_dockerd()
    removed = remove_orphaned_containers() + remove_orphaned_networks() + remove_orphaned_images()
    if removed:
        log.warning("removed containers left by earlier runs: %s", removed)


@pytest.fixture(scope="session")
def image(docker_engine: None, release: str) -> str:
    return ensure_image(release)


@pytest.fixture
def containers(request: pytest.FixtureRequest, docker_engine: None):
    factory = ContainerFactory()
    request.node.stash[_FUNCTION_FACTORY] = factory
    yield factory
    factory.remove_all()


@pytest.fixture(scope="session")
def session_containers(request: pytest.FixtureRequest, docker_engine: None):
    factory = ContainerFactory()
    request.session.stash[_SESSION_FACTORY] = factory
    yield factory
    factory.remove_all()


def _involved_containers(item: pytest.Item) -> list[Container]:
    """Live containers of the factories in this test's fixture closure.

    Uses the static fixture closure, not the fixture values, so a container is
    found even when the fixture that started it failed during setup.
    """
    found = []
    if "containers" in item.fixturenames:
        factory = item.stash.get(_FUNCTION_FACTORY, None)
        found += list(factory.live()) if factory else []
    if "session_containers" in item.fixturenames:
        factory = item.session.stash.get(_SESSION_FACTORY, None)
        found += list(factory.live()) if factory else []
    return found


@pytest.hookimpl(hookwrapper=True)  # old-style wrapper: works with pytest 7 too
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for container in _involved_containers(item):
            try:
                text = container.diagnostics()
            except Exception as e:  # never hide the real failure behind this
                text = f"collecting diagnostics failed: {e!r}"
            report.sections.append((f"diagnostics {container.name}", text))


@pytest.fixture(scope="session")
def hub(session_containers: ContainerFactory, image: str):
    """tljh-lite installed with bootstrap in a fresh container limited to 900 MB (one per release).
    Its files are kept as an image the moment the install is done, for `fresh_install`."""
    from installed import Snapshot, install

    installed = install(session_containers, image)
    installed.snapshot = Snapshot.of(installed)
    yield installed
    installed.snapshot.remove()


@pytest.fixture(scope="session")
def fresh_install(session_containers: ContainerFactory, hub):
    """A function starting another machine on which bootstrap has just installed tljh-lite, as on `hub`
    (keyword arguments as `install`'s): a container of `hub`'s files as they were when its install was done.
    For tests whose subject is not the install; each install that is tested runs bootstrap itself."""
    return lambda **container_options: hub.snapshot.start(session_containers, **container_options)


PLUGINS = [
    "plugins/tljh-lite-test-plugin",
    "plugins/tljh-lite-shared-folders",
    # Courses cost nothing until one is made (test_courses.py makes two, and removes them again).
    "plugins/tljh-lite-courses",
    # Public TLJH plugins' patterns, unchanged (test_wild_plugins.py): installed here, not in a
    # hub of their own, so CI pays for one install per release.
    "integration-tests/plugins/tljh-simplest",
    "integration-tests/plugins/tljh-shared-directory",
]


@pytest.fixture(scope="session")
def plugin_hub(session_containers: ContainerFactory, image: str):
    """tljh-lite installed with the plugins of PLUGINS, one --plugin flag each,
    and with --show-progress-page (watched from the host during the install).
    Its port 443 is published too, for test_lms.py (LTI needs HTTPS)."""
    from installed import SOURCE_IN_CONTAINER, install

    args = [arg for plugin in PLUGINS for arg in ("--plugin", f"{SOURCE_IN_CONTAINER}/{plugin}")]
    args.append("--show-progress-page")
    return install(session_containers, image, extra_args=args, extra_ports=[443])


@pytest.fixture(scope="session")
def courses(plugin_hub):
    """data101 and data102 on `plugin_hub`, made once by whichever module needs a course first
    (course_hub.py); they stay (test_courses.py removes data102 at its end, as its last test)."""
    from course_hub import make_courses

    return make_courses(plugin_hub)
