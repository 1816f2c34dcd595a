"""The usage feature's units: the sampler every minute, no network, small; the admins' page on demand,
its token out of sight; all installed with the hub's other units."""

from __future__ import annotations

from pathlib import Path

from fakes import RecordingRunner
from tljh_lite.paths import Paths
from tljh_lite.config.defaults import merged
from tljh_lite.hub.settings import hub_settings, usage_page_oauth, usage_page_service
from tljh_lite.ports import USAGE_PAGE_PORT as PORT
from tljh_lite.usage import service
from tljh_lite.usage.units import (
    USAGE_PAGE_SOCKET,
    USAGE_PAGE_UNIT,
    USAGE_TIMER,
    USAGE_UNIT,
    usage_page_service_unit,
    usage_page_socket_unit,
    usage_service_unit,
    usage_timer_unit,
)


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
    assert {USAGE_UNIT, USAGE_TIMER, USAGE_PAGE_SOCKET, USAGE_PAGE_UNIT} <= set(texts)


def test_the_page_is_a_hub_service_the_hub_neither_starts_nor_polls_without_a_consent_page():
    page = usage_page_service("/", "t0k")
    assert page == {"name": "usage", "api_token": "t0k", "oauth_client_id": "service-usage",
                    "oauth_redirect_uri": "/services/usage/oauth_callback", "oauth_no_confirm": True}
    # No command (systemd starts it) and no url (the hub would ask it over HTTP every minute, starting it).
    assert "command" not in page and "url" not in page and "oauth_client_allowed_scopes" not in page  # acts for nobody


def test_the_proxy_routes_the_page_to_its_socket_under_the_base_url():
    s = hub_settings(merged({"base_url": "/jupyter/"}), usage_page_token="t0k")
    assert s["ConfigurableHTTPProxy"]["extra_routes"] == {
        "/.well-known/acme-challenge/": "http://127.0.0.1:15003", "/jupyter/services/usage/": f"http://127.0.0.1:{PORT}"}
    assert usage_page_service("/jupyter/", "t0k") in s["JupyterHub"]["services"]
    oauth = usage_page_oauth("/jupyter/")
    assert oauth["api_url"] == "http://127.0.0.1:15001/jupyter/hub/api" and oauth["hub_prefix"] == "/jupyter/hub/"
    assert oauth["access_scopes"] == {"access:services!service=usage"}  # the admin role's, nobody else's
    # Before the installer made its token (an old install mid-upgrade): no page, the ACME route still.
    bare = hub_settings(merged({}))
    assert bare["ConfigurableHTTPProxy"]["extra_routes"] == {"/.well-known/acme-challenge/": "http://127.0.0.1:15003"}
    assert all(svc["name"] != "usage" for svc in bare["JupyterHub"]["services"])


def test_the_page_starts_on_demand_from_a_loopback_socket_with_its_token_as_a_credential():
    socket_unit = usage_page_socket_unit()
    assert f"ListenStream=127.0.0.1:{PORT}" in socket_unit.splitlines() and "WantedBy=sockets.target" in socket_unit
    unit = usage_page_service_unit(Paths(Path("/opt/tljh")))
    lines = unit.splitlines()
    assert "ExecStart=/opt/tljh/hub/bin/python3 -I -m tljh_lite.usage.service" in lines
    assert "LoadCredential=api-token:/opt/tljh/state/usage-page-token" in lines
    for line in ("ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "IPAddressDeny=any"):
        assert line in lines
    assert "t0k" not in unit and "Environment=JUPYTERHUB_API_TOKEN" not in unit  # unit files are world-readable


def test_the_page_serves_on_systemds_socket_and_reads_its_token_from_the_credential(tmp_path):
    import os
    import socket

    with socket.create_server(("127.0.0.1", 0)) as listener:
        passed = os.dup(listener.fileno())  # as systemd passes it, by number
        got = service.listening_socket({"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "1"}, fd=passed)
        with got:
            assert got.getsockname() == listener.getsockname() and not got.getblocking()
    (tmp_path / "api-token").write_text("s3cret\n")
    assert service.api_token(Paths(tmp_path), {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == "s3cret"


def test_reload_arms_the_pages_socket_and_stops_a_running_page_whose_unit_changed(tmp_path, monkeypatch):
    from tljh_lite.proxy import unit as proxy_unit_module
    from tljh_lite.units.manager import UnitManager

    monkeypatch.setattr(proxy_unit_module, "find_proxy_binary", lambda: "/usr/bin/configurable-http-proxy")
    runner = RecordingRunner()
    manager = UnitManager(Paths(tmp_path / "opt"), runner, unit_dir=tmp_path)
    manager.schedule(merged({}))  # first time: every unit is new
    assert ["systemctl", "restart", USAGE_PAGE_SOCKET] in runner.calls
    assert ["systemctl", "stop", USAGE_PAGE_UNIT] in runner.calls  # the next request starts what was written
    runner.calls.clear()
    manager.schedule(merged({}))  # nothing changed: the socket stays armed, a running page keeps running
    assert ["systemctl", "enable", "--now", "--quiet", USAGE_PAGE_SOCKET] in runner.calls
    assert not any(USAGE_PAGE_UNIT in call for call in runner.calls)
