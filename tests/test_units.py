"""The systemd units: what they run, and that secrets stay off command lines."""

from tljh_lite.config.defaults import merged
from tljh_lite.proxy.settings import proxy_settings
from tljh_lite.paths import Paths
from tljh_lite.hub.unit import hub_unit
from tljh_lite.proxy.unit import PROXY_UNIT, proxy_unit

PATHS = Paths()


def test_hub_unit_runs_the_hub_venv_with_our_config_and_needs_the_proxy():
    text = hub_unit(PATHS, "/opt/tljh/hub/lib/tljh_lite/jupyterhub_config.py")
    assert "ExecStart=/opt/tljh/hub/bin/python3 -m jupyterhub --config=/opt/tljh/hub/lib/tljh_lite/jupyterhub_config.py" in text
    # Wants=, not Requires=: a proxy restart must not restart the hub (the proxy asks it to re-add routes)
    assert f"\nWants={PROXY_UNIT}\n" in text and "\nRequires=" not in text
    assert "EnvironmentFile=/opt/tljh/state/proxy.env" in text
    assert "WorkingDirectory=/opt/tljh/state" in text
    assert "TOKEN" not in text


def test_proxy_unit_for_http():
    text = proxy_unit(PATHS, "/usr/bin/configurable-http-proxy", proxy_settings(merged({})))
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_line == (
        "ExecStart=/usr/bin/configurable-http-proxy --port=80 --api-ip=127.0.0.1 --api-port=15002 "
        "--default-target=http://127.0.0.1:15001 --error-target=http://127.0.0.1:15001/hub/error"
    )
    assert "EnvironmentFile=/opt/tljh/state/proxy.env" in text
    assert "DynamicUser=yes" in text and "AmbientCapabilities=CAP_NET_BIND_SERVICE" in text


def test_proxy_unit_for_https_reads_root_only_files_as_credentials():
    config = merged(
        {"http": {"address": "10.0.0.5"}, "https": {"enabled": True, "address": "10.0.0.5", "tls": {"key": "/k", "cert": "/c"}}}
    )
    text = proxy_unit(PATHS, "/usr/bin/configurable-http-proxy", proxy_settings(config))
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert "--ip=10.0.0.5 --port=443" in exec_line
    # The files stay where they are (root 0600); the proxy reads systemd's private copies.
    assert "LoadCredential=tls-key:/k\nLoadCredential=tls-cert:/c\n" in text
    assert "--ssl-key=%d/tls-key --ssl-cert=%d/tls-cert" in exec_line
    assert "/k" not in exec_line and "redirect" not in exec_line  # port 80 is the responder's


def test_proxy_unit_asks_the_hub_for_its_routes_after_every_start():
    text = proxy_unit(PATHS, "/usr/bin/configurable-http-proxy", proxy_settings(merged({})), base_url="/jupyter/")
    assert "ExecStartPost=+-/opt/tljh/hub/bin/python3 -m tljh_lite.proxysync --base-url=/jupyter/" in text


def test_responder_owns_port_80_only_with_https():
    from tljh_lite.https.units import renew_timer_unit, responder_settings, responder_unit

    plain = responder_unit(PATHS, responder_settings(merged({})))
    assert "--challenge-port=15003" in plain and "--port=" not in plain
    https = merged({"http": {"port": 8080}, "https": {"enabled": True, "port": 8443, "tls": {"key": "/k", "cert": "/c"}}})
    text = responder_unit(PATHS, responder_settings(https))
    assert "--address= --port=8080 --https-port=8443" in text
    assert "DynamicUser=yes" in text and "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in text
    timer = renew_timer_unit()
    assert "OnCalendar=*-*-* 00,12:00:00" in timer and "Persistent=true" in timer


def test_public_url_leaves_out_default_ports():
    from tljh_lite.proxy.settings import local_hub_url, public_url

    assert public_url(merged({})) == "http://<this machine's address>/"
    assert public_url(merged({"http": {"port": 8000}, "base_url": "/j/"})) == "http://<this machine's address>:8000/j/"
    https = merged({"https": {"enabled": True, "letsencrypt": {"email": "a@b.edu", "domains": ["hub.b.edu"]}}})
    assert public_url(https) == "https://hub.b.edu/"
    assert local_hub_url(https) == "https://127.0.0.1:443/"


def test_the_health_check_asks_the_address_the_proxy_listens_on():
    from tljh_lite.ports import connect_host
    from tljh_lite.proxy.settings import local_hub_url
    from tljh_lite.proxy.unit import credential_sources

    assert local_hub_url(merged({"http": {"address": "10.1.2.3"}})) == "http://10.1.2.3:80/"
    assert connect_host("") == connect_host("0.0.0.0") == "127.0.0.1"
    assert connect_host("::") == "[::1]" and connect_host("fd00::5") == "[fd00::5]"
    text = "[Service]\nLoadCredential=tls-key:/etc/k.pem\nLoadCredential=tls-cert:/etc/c.pem\n"
    assert [str(p) for p in credential_sources(text)] == ["/etc/k.pem", "/etc/c.pem"]
