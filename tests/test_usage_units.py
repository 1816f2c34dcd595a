"""The sampler's units: every minute, no network, small, and installed with the hub's other units."""

from __future__ import annotations

from pathlib import Path

from fakes import RecordingRunner
from tljh_lite.paths import Paths
from tljh_lite.hub.settings import usage_page_service
from tljh_lite.ports import USAGE_PAGE_PORT as PORT
from tljh_lite.usage.units import USAGE_TIMER, USAGE_UNIT, usage_service_unit, usage_timer_unit


def test_the_sampler_runs_every_minute_without_network_and_writes_only_the_state_directory():
    unit = usage_service_unit(Paths(Path("/opt/tljh")))
    assert "ExecStart=/opt/tljh/hub/bin/python3 -I -m tljh_lite.usage.sampler" in unit
    for line in ("Type=oneshot", "PrivateNetwork=yes", "ProtectSystem=strict", "ReadWritePaths=/opt/tljh/state",
                 "ProtectHome=yes", "MemoryMax=64M", "Nice=10"):
        assert line in unit.splitlines()
    assert "OnCalendar=*-*-* *:*:00" in usage_timer_unit() and "Persistent=false" in usage_timer_unit()


def test_the_sampler_units_are_among_those_the_installer_writes(tmp_path, monkeypatch):
    from tljh_lite.config.defaults import merged
    from tljh_lite.proxy import unit as proxy_unit_module
    from tljh_lite.units.manager import UnitManager

    monkeypatch.setattr(proxy_unit_module, "find_proxy_binary", lambda: "/usr/bin/configurable-http-proxy")
    texts = UnitManager(Paths(tmp_path), RecordingRunner(), unit_dir=tmp_path).unit_texts(merged({}))
    assert USAGE_UNIT in texts and USAGE_TIMER in texts


def test_the_page_is_a_hub_service_on_loopback_without_a_consent_page():
    service = usage_page_service("/opt/tljh/hub/bin/python3")
    assert service["url"] == f"http://127.0.0.1:{PORT}" and service["oauth_no_confirm"] is True
    assert service["command"] == ["/opt/tljh/hub/bin/python3", "-m", "tljh_lite.usage.service"]
    assert "api_token" not in service and "oauth_client_allowed_scopes" not in service  # it acts for nobody
