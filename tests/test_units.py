"""The systemd units: what they run, and that secrets stay off command lines."""

from tljh_lite.config.defaults import merged
from tljh_lite.configurer import proxy_settings
from tljh_lite.paths import Paths
from tljh_lite.units import PROXY_UNIT, hub_unit, proxy_unit

PATHS = Paths()


def test_hub_unit_runs_the_hub_venv_with_our_config_and_needs_the_proxy():
    text = hub_unit(PATHS, "/opt/tljh/hub/lib/tljh_lite/jupyterhub_config.py")
    assert "ExecStart=/opt/tljh/hub/bin/python3 -m jupyterhub --config=/opt/tljh/hub/lib/tljh_lite/jupyterhub_config.py" in text
    assert f"Requires={PROXY_UNIT}" in text
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


def test_proxy_unit_for_https_and_a_chosen_address():
    config = merged(
        {"http": {"address": "10.0.0.5"}, "https": {"enabled": True, "address": "10.0.0.5", "tls": {"key": "/k", "cert": "/c"}}}
    )
    text = proxy_unit(PATHS, "/usr/bin/configurable-http-proxy", proxy_settings(config))
    assert "--ip=10.0.0.5 --port=443" in text
    assert "--ssl-key=/k --ssl-cert=/c --redirect-port=80" in text


def test_public_url_leaves_out_default_ports():
    from tljh_lite.services import local_hub_url, public_url

    assert public_url(merged({})) == "http://<this machine's address>/"
    assert public_url(merged({"http": {"port": 8000}, "base_url": "/j/"})) == "http://<this machine's address>:8000/j/"
    https = merged({"https": {"enabled": True, "letsencrypt": {"email": "a@b.edu", "domains": ["hub.b.edu"]}}})
    assert public_url(https) == "https://hub.b.edu/"
    assert local_hub_url(https) == "https://127.0.0.1:443/"
