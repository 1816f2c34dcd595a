"""From config.yaml's meaning to JupyterHub's settings: pure functions, no I/O.

`hub_settings` maps the merged config (defaults + file) to traitlets settings,
`{ClassName: {trait: value}}`, which `apply` puts on a traitlets config
object in jupyterhub_config.py. `proxy_settings` maps the http/https keys to
the options configurable-http-proxy runs with.
"""

from __future__ import annotations

from typing import Any, Mapping

Settings = dict[str, dict[str, Any]]

DEFAULT_URLS = {"jupyterlab": "/lab", "classic": "/tree"}

CULLER_NAME = "cull-idle"
# What jupyterhub-idle-culler needs (its README, "Permissions").
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def hub_settings(config: Mapping[str, Any], *, python: str) -> Settings:
    """JupyterHub settings for a merged config; `python` runs the hub's services."""
    settings: Settings = {}
    put = lambda cls, trait, value: settings.setdefault(cls, {}).__setitem__(trait, value)  # noqa: E731

    put("JupyterHub", "base_url", config["base_url"])
    _auth(config["auth"], put)

    users = config["users"]
    put("Authenticator", "allowed_users", set(users["allowed"]))
    put("Authenticator", "blocked_users", set(users["banned"]))
    put("Authenticator", "admin_users", set(users["admin"]))
    # TLJH's spawner class name, so jupyterhub_config.d snippets written for TLJH still apply.
    put("UserCreatingSpawner", "user_groups", {g: list(m) for g, m in users["extra_user_groups"].items()})

    limits = config["limits"]
    if limits["memory"] is not None:
        put("Spawner", "mem_limit", limits["memory"])
    if limits["cpu"] is not None:
        put("Spawner", "cpu_limit", float(limits["cpu"]))
    put("Spawner", "default_url", DEFAULT_URLS[config["user_environment"]["default_app"]])

    services, roles = _culler(config["services"]["cull"], python)
    put("JupyterHub", "services", services)
    put("JupyterHub", "load_roles", roles)
    return settings


def _auth(auth: Mapping[str, Any], put) -> None:
    put("JupyterHub", "authenticator_class", auth["type"])
    for section, traits in auth.items():
        if section == "type":
            continue
        for trait, value in traits.items():
            if value is not None:  # as TLJH: none means "leave the class default"
                put(section, trait, value)


def _culler(cull: Mapping[str, Any], python: str) -> tuple[list[dict], list[dict]]:
    if not cull["enabled"]:
        return [], []
    command = [
        python,
        "-m",
        "jupyterhub_idle_culler",
        f"--timeout={cull['timeout']}",
        f"--cull-every={cull['every']}",
        f"--concurrency={cull['concurrency']}",
        f"--max-age={cull['max_age']}",
        f"--cull-users={cull['users']}",
        f"--remove-named-servers={cull['remove_named_servers']}",
    ]
    scopes = CULLER_SCOPES + (["admin:users"] if cull["users"] else [])
    service = {"name": CULLER_NAME, "command": command}
    role = {"name": CULLER_NAME, "scopes": scopes, "services": [CULLER_NAME]}
    return [service], [role]


def proxy_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """configurable-http-proxy's public listener, from the http and https keys.

    With HTTPS on, the proxy serves https.port and redirects http.port to it.
    Certificates come from https.tls, or from where certbot keeps the first
    Let's Encrypt domain's.
    """
    http, https = config["http"], config["https"]
    if not https["enabled"]:
        return {"ip": http["address"], "port": http["port"]}
    tls, domains = https["tls"], https["letsencrypt"]["domains"]
    if tls["key"] and tls["cert"]:
        key, cert = tls["key"], tls["cert"]
    else:
        live = f"/etc/letsencrypt/live/{domains[0]}"
        key, cert = f"{live}/privkey.pem", f"{live}/fullchain.pem"
    return {
        "ip": https["address"],
        "port": https["port"],
        "ssl_key": key,
        "ssl_cert": cert,
        "redirect_port": http["port"],
    }


def apply(c: Any, settings: Settings) -> None:
    """Put settings on a traitlets Config (the `c` of jupyterhub_config.py)."""
    for cls, traits in settings.items():
        for trait, value in traits.items():
            setattr(c[cls], trait, value)
