"""Switching the proxy (`reload proxy`) with a recording runner: what is restarted, and what is put back."""

from __future__ import annotations

import pytest

from fakes import RecordingRunner
from tljh_lite.https import prepare as prepare_module
from tljh_lite.proxy import unit as proxy_unit_module
from tljh_lite.runner import Result
from tljh_lite.config.defaults import merged
from tljh_lite.paths import Paths
from tljh_lite.proxy.unit import PROXY_UNIT
from tljh_lite.units.manager import ProxyNotSwitched, UnitManager

HTTP = merged({})
OWN_MISSING = merged({"https": {"enabled": True, "tls": {"key": "/nowhere/k.pem", "cert": "/nowhere/c.pem"}}})


@pytest.fixture
def services(tmp_path, monkeypatch):
    monkeypatch.setattr(proxy_unit_module, "find_proxy_binary", lambda: "/usr/bin/configurable-http-proxy")
    monkeypatch.setattr(prepare_module, "wait_for_port", lambda port, timeout: True)
    monkeypatch.setattr(UnitManager, "wait", lambda self, config, timeout: "6.1.1")
    unit_dir = tmp_path / "units"
    unit_dir.mkdir()
    # The responder is active (HTTPS was on); everything else answers "ok".
    runner = RecordingRunner({("systemctl", "is-active", "--quiet"): Result([], 0, "", "")})
    paths = Paths(tmp_path / "opt")
    paths.state_dir.mkdir(parents=True)
    made = UnitManager(paths, runner, unit_dir=unit_dir)
    made.write_units(HTTP)
    runner.calls.clear()
    return made


def restarts(runner: RecordingRunner) -> list[str]:
    return [call[-1] for call in runner.calls if call[:2] == ["systemctl", "restart"]]


def test_a_certificate_that_fails_its_checks_restarts_nothing_and_puts_the_units_back(services):
    before = {path.name: path.read_text() for path in services.unit_dir.iterdir()}
    with pytest.raises(ProxyNotSwitched) as failure:
        services.switch_proxy(OWN_MISSING, timeout=5, previous=HTTP)
    assert "does not exist" in failure.value.message
    assert failure.value.hint.endswith("nothing changed: the hub serves as before")
    assert PROXY_UNIT not in restarts(services.runner)
    assert {path.name: path.read_text() for path in services.unit_dir.iterdir()} == before


def test_switching_restarts_the_proxy_and_the_hub_only_when_https_changes(services):
    services.switch_proxy(HTTP, timeout=5, previous=HTTP)
    assert restarts(services.runner) == [PROXY_UNIT]
    services.runner.calls.clear()
    services.switch_proxy(HTTP, timeout=5, previous=merged({"https": {"enabled": True}}))
    assert restarts(services.runner) == [PROXY_UNIT, "jupyterhub.service"]
