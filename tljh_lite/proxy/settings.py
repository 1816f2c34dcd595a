"""Where the proxy listens, from the http and https keys, and the URLs that follow from it."""

from __future__ import annotations

import shutil
from typing import Any, Mapping

from ..errors import TljhError
from ..https.files import tls_files
from ..ports import connect_host


def find_proxy_binary() -> str:
    binary = shutil.which("configurable-http-proxy", path="/usr/bin:/usr/local/bin:/bin")
    if not binary:
        raise TljhError(
            "configurable-http-proxy is not installed",
            "re-run the installer; it installs the node-configurable-http-proxy package",
        )
    return binary


def proxy_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """configurable-http-proxy's public listener, from the http and https keys.

    With HTTPS on, the proxy serves only https.port, with the key and
    certificate of `tljh_lite.https.files.tls_files` (own files or certbot's);
    plain HTTP on http.port is then the responder's (tljh_lite.https.units).
    """
    http, https = config["http"], config["https"]
    files = tls_files(config)
    if files is None:
        return {"ip": http["address"], "port": http["port"]}
    return {"ip": https["address"], "port": https["port"], "tls_key": str(files.key), "tls_cert": str(files.cert)}


def local_hub_url(config: Mapping[str, Any]) -> str:
    """The hub's public URL as seen from this machine, through the proxy."""
    settings = proxy_settings(config)
    scheme = "https" if "tls_key" in settings else "http"
    return f"{scheme}://{connect_host(settings['ip'])}:{settings['port']}{config['base_url']}"


def public_url(config: Mapping[str, Any]) -> str:
    """How students reach the hub, for the professor to read (default ports left out)."""
    settings = proxy_settings(config)
    scheme = "https" if "tls_key" in settings else "http"
    port = "" if settings["port"] == {"http": 80, "https": 443}[scheme] else f":{settings['port']}"
    host = config["https"]["letsencrypt"]["domains"][0] if config["https"]["letsencrypt"]["domains"] else "<this machine's address>"
    return f"{scheme}://{host}{port}{config['base_url']}"
