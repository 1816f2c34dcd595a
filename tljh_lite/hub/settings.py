"""From config.yaml's meaning to JupyterHub's settings: pure functions, no I/O.

`hub_settings` maps the merged config (defaults + file) to traitlets settings,
`{ClassName: {trait: value}}`, which `apply` puts on a traitlets config
object in jupyterhub_config.py (`hub.startup`).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..auth.kinds import hub_class, kind_of
from ..auth.lti.web import hub_web_settings, server_web_settings
from ..https.responder import CHALLENGE_PREFIX
from ..ports import ACME_CHALLENGE_URL, HUB_URL, USAGE_PAGE_URL
from ..users.admission import firstuse_allows_all
from ..users.groups import group_overrides, load_groups
from ..users.roles import admin_role

Settings = dict[str, dict[str, Any]]

DEFAULT_URLS = {"jupyterlab": "/lab", "classic": "/tree"}

CULLER_NAME = "cull-idle"
USAGE_PAGE_NAME = "usage"
PROXY_SYNC_NAME = "proxy-sync"
SECURE_COOKIE = {"secure": True}
# What jupyterhub-idle-culler needs (its README, "Permissions").
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def hub_settings(config: Mapping[str, Any], *, proxy_sync_token: str | None = None,
                 usage_page_token: str | None = None, culler_token: str | None = None) -> Settings:
    """JupyterHub settings for a merged config.

    `proxy_sync_token` is the token of the proxy-sync service (tljh_lite.proxysync),
    which may only ask the hub to re-add the proxy's routes; `usage_page_token`
    the usage page's (tljh_lite.usage.service), which acts for nobody; `culler_token`
    the idle culler's (tljh_lite.culler).
    """
    settings: Settings = {}
    put = lambda cls, trait, value: settings.setdefault(cls, {}).__setitem__(trait, value)  # noqa: E731

    put("JupyterHub", "base_url", config["base_url"])
    _auth(config["auth"], put)

    users = config["users"]
    _who_may_log_in(config, put)
    # TLJH's spawner class name, so jupyterhub_config.d snippets written for TLJH still apply.
    put("UserCreatingSpawner", "user_groups", {g: list(m) for g, m in users["extra_user_groups"].items()})

    limits = config["limits"]
    if limits["memory"] is not None:
        put("Spawner", "mem_limit", limits["memory"])
    if limits["cpu"] is not None:
        put("Spawner", "cpu_limit", float(limits["cpu"]))
    if limits["disk"] is not None:  # her account's quota, set when the spawner makes it (quotas/)
        put("UserCreatingSpawner", "disk_limit", limits["disk"])
    put("Spawner", "default_url", DEFAULT_URLS[config["user_environment"]["default_app"]])
    if config["groups"]:
        # JupyterHub groups, and their limits over limits.* for their members.
        put("JupyterHub", "load_groups", load_groups(config))
        put("Spawner", "group_overrides", group_overrides(config))

    server_args = kernel_cull_args(config["services"]["cull"])
    if config["https"]["enabled"]:
        # JupyterHub marks its login cookies Secure over https by itself, but not the
        # _xsrf cookies (the hub's and each student server's), which tornado sets.
        # With LTI, a launch inside the LMS's page needs more (auth.lti.web).
        put("JupyterHub", "tornado_settings", {"xsrf_cookie_kwargs": SECURE_COOKIE, **hub_web_settings(config)})
        server = {"xsrf_cookie_kwargs": SECURE_COOKIE, **server_web_settings(config)}
        server_args.append(server_argument("ServerApp.tornado_settings", server))
    if server_args:
        put("Spawner", "args", server_args)

    services, roles = _culler(config["services"]["cull"], culler_token)
    # ACME http-01 challenges go to the port-80 responder's loopback listener, so a first
    # certificate can be had while the proxy serves plain HTTP; the usage page to its socket.
    routes = {CHALLENGE_PREFIX: ACME_CHALLENGE_URL}
    if usage_page_token:
        services.append(usage_page_service(config["base_url"], usage_page_token))
        routes[usage_page_oauth(config["base_url"])["prefix"]] = USAGE_PAGE_URL
    put("ConfigurableHTTPProxy", "extra_routes", routes)
    if proxy_sync_token:
        services.append({"name": PROXY_SYNC_NAME, "api_token": proxy_sync_token})
        roles.append({"name": PROXY_SYNC_NAME, "scopes": ["proxy"], "services": [PROXY_SYNC_NAME]})
    roles.append(admin_role(config))  # users.admin, exactly: JupyterHub's admin_users only ever adds
    put("JupyterHub", "services", services)
    put("JupyterHub", "load_roles", roles)
    return settings


def server_argument(trait: str, value: dict) -> str:
    """A dict setting on each student server's command line: a Python literal, the form
    traitlets parses into a dict there, with braces doubled (the spawner formats each
    argument: {USERNAME})."""
    return f"--{trait}={value!r}".replace("{", "{{").replace("}", "}}")


def usage_page_oauth(base_url: str) -> dict[str, Any]:
    """Where the usage page lives and how it logs its visitors in through the hub's OAuth
    (the hub's service entry and the page itself, tljh_lite.usage.service, both use it)."""
    prefix = f"{base_url}services/{USAGE_PAGE_NAME}/"
    return {
        "prefix": prefix,
        "client_id": f"service-{USAGE_PAGE_NAME}",
        "redirect_uri": f"{prefix}oauth_callback",
        "api_url": f"{HUB_URL}{base_url}hub/api",
        "hub_prefix": f"{base_url}hub/",
        # What a visitor must hold: JupyterHub gives it to its admin role only.
        "access_scopes": {f"access:services!service={USAGE_PAGE_NAME}"},
    }


def usage_page_service(base_url: str, token: str) -> dict:
    """The admins' usage page at /services/usage/: a JupyterHub service the hub neither
    starts nor watches. systemd starts it when the page is asked for and it stops when
    nobody has asked for a while (tljh_lite.usage.units), so a page opened once a week
    costs nothing the rest of the time. No `url`: the hub would ask it over HTTP at
    every start and every minute (service_check_interval), starting it each time; the
    proxy's route to it is an extra route instead. Access: the scope
    access:services!service=usage, which only the hub's admin role holds, so a student
    gets 403 from the hub's OAuth, and again from the page."""
    oauth = usage_page_oauth(base_url)
    return {
        "name": USAGE_PAGE_NAME,
        "api_token": token,
        "oauth_client_id": oauth["client_id"],
        "oauth_redirect_uri": oauth["redirect_uri"],
        # Admins are not asked "allow the usage page to know who you are?" every time.
        "oauth_no_confirm": True,
    }


def _who_may_log_in(config: Mapping[str, Any], put) -> None:
    """config.yaml alone decides who may log in: users.allowed and users.admin, minus users.banned.

    JupyterHub 5+ would also let in everyone already in its database whenever
    allowed_users is set (allow_existing_users): a student removed from
    users.allowed would still log in, and so would anyone added in the admin
    panel. Admins are allowed users too, so that an empty users.allowed means
    "only the admins", not "everyone" (FirstUseAuthenticator allows all when
    allowed_users is empty). A banned user's server is stopped and her
    permissions revoked when the hub starts (JupyterHub 5.2+).
    """
    users = config["users"]
    put("Authenticator", "allowed_users", set(users["allowed"]) | set(users["admin"]))
    put("Authenticator", "allow_existing_users", False)
    put("Authenticator", "blocked_users", set(users["banned"]))
    put("Authenticator", "admin_users", set(users["admin"]))
    # FirstUse's own default is "everyone" whenever allowed_users is empty.
    put("FirstUseAuthenticator", "allow_all", firstuse_allows_all(config))
    # Native: whoever the admin approves at /hub/authorize (as TLJH's docs say); Tmp: every
    # visitor (a new random name each); LTI 1.3: whoever the LMS launches with a role the
    # professor allows (auth.lti.claims). Banned users stay out (blocked_users above).
    kind = kind_of(config["auth"]["type"])
    section = {"native": "NativeAuthenticator", "tmp": "TmpAuthenticator", "lti13": "LTI13Authenticator"}.get(kind)
    if section and (config["auth"].get(section) or {}).get("allow_all") is None:
        put(section, "allow_all", True)


def _auth(auth: Mapping[str, Any], put) -> None:
    put("JupyterHub", "authenticator_class", hub_class(auth["type"]))  # Native: ours (auth.native)
    for section, traits in auth.items():
        if section == "type":
            continue
        for trait, value in traits.items():
            if value is not None:  # as TLJH: none means "leave the class default"
                put(section, trait, value)


def kernel_cull_args(cull: Mapping[str, Any]) -> list[str]:
    """A student's server shuts down her kernels that ran nothing for services.cull.kernel_timeout
    seconds: jupyter_server's own culling (MappingKernelManager), asked for on its command line.

    cull_connected: an open notebook tab does not keep an idle kernel; cull_busy off: a kernel
    that is computing is never shut down, however long it takes. Checked every
    services.cull.every seconds (0: half the timeout, as the server culler).
    """
    timeout = cull["kernel_timeout"]
    if not cull["enabled"] or timeout == 0:
        return []
    every = cull["every"] or max(1, timeout // 2)
    return [
        f"--MappingKernelManager.cull_idle_timeout={timeout}",
        f"--MappingKernelManager.cull_interval={every}",
        "--MappingKernelManager.cull_connected=True",
        "--MappingKernelManager.cull_busy=False",
    ]


def _culler(cull: Mapping[str, Any], token: str | None) -> tuple[list[dict], list[dict]]:
    """The culler's record in the hub: its token and what it may do. A systemd timer runs it
    (tljh_lite.culler), so the hub starts no process for it."""
    if not cull["enabled"]:
        return [], []
    scopes = CULLER_SCOPES + (["admin:users"] if cull["users"] else [])
    service = {"name": CULLER_NAME, **({"api_token": token} if token else {})}
    role = {"name": CULLER_NAME, "scopes": scopes, "services": [CULLER_NAME]}
    return [service], [role]


def apply(c: Any, settings: Settings) -> None:
    """Put settings on a traitlets Config (the `c` of jupyterhub_config.py)."""
    for cls, traits in settings.items():
        for trait, value in traits.items():
            setattr(c[cls], trait, value)
