"""config.yaml to the Zero to JupyterHub chart's values (pure: files are read through `read_text`).

JupyterHub's settings come from our own mapping (`hub.settings.hub_settings`),
so the hub on Kubernetes gets what this hub runs with: each setting goes
where the chart wants it (`hub.baseUrl`, `singleuser.*`, `cull.*`,
`proxy.https.*`), and everything else passes through `hub.config`, the
chart's traitlets pass-through. What has no place there is a `Note` for
MIGRATION.md. Secrets (the TLS key, an OAuth client secret, a bind
password) go to a separate values file, written 0600.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..auth.kinds import kind_of
from ..auth.secrets import secret_settings
from ..culler.units import culler_args
from ..hub.settings import CULLER_NAME, hub_settings
from ..users.groups import LIMITS
from .migration import Note

OURS = ("tljh_lite.", "tljh.")  # modules that exist only in a tljh-lite hub
CHART_MEMORY_GUARANTEE = "1G"  # singleuser.memory.guarantee in the chart's values.yaml
FIRSTUSE_DBM = "/srv/jupyterhub/passwords.dbm"  # the chart's hub pod: its working folder, the hub-db volume
STAGING_ACME = "https://acme-staging-v02.api.letsencrypt.org/directory"
# Authenticators in the chart's hub image (quay.io/jupyterhub/k8s-hub), by module prefix.
IN_HUB_IMAGE = ("firstuseauthenticator.", "oauthenticator.", "ldapauthenticator.", "nativeauthenticator.",
                "tmpauthenticator.", "ltiauthenticator.", "jupyterhub.auth.dummy", "jupyterhub.auth.null",
                "dummy", "null", "tmp", "github", "google", "gitlab", "generic", "azuread", "ldap", "firstuse")
# Settings mapped to the chart's own keys (not hub.config), as class -> traits.
CHART_KEYS = {"JupyterHub": {"base_url", "services", "load_roles"},
              "Spawner": {"mem_limit", "cpu_limit", "default_url"},
              "UserCreatingSpawner": {"user_groups"}}


@dataclass
class ChartValues:
    values: dict  # values.yaml
    secrets: dict  # values-secrets.yaml (0600): helm upgrade -f values.yaml -f values-secrets.yaml
    notes: list[Note] = field(default_factory=list)


def chart_values(config: Mapping[str, Any], *, image: tuple[str, str],
                 read_text: Callable[[str], str]) -> ChartValues:
    """The chart's values for a merged config; `image` is singleuser.image (name, tag)."""
    out = ChartValues({}, {})
    settings = hub_settings(config)
    secrets = secret_settings(config)  # config.yaml's secret settings go to values-secrets.yaml only
    hub_config: dict[str, dict] = {}
    for cls, traits in settings.items():
        for trait, value in traits.items():
            if trait in CHART_KEYS.get(cls, ()):
                continue
            target = out.secrets if (cls, trait) in secrets and value else out.values
            _put(target, ["hub", "config", cls, trait], _plain(value))
            hub_config.setdefault(cls, {})[trait] = value
    authenticator = out.values["hub"]["config"]["JupyterHub"]["authenticator_class"]
    if authenticator.startswith(OURS):  # tljh-lite's subclass of one: the chart's hub image has the original
        out.values["hub"]["config"]["JupyterHub"]["authenticator_class"] = config["auth"]["type"]
    _put(out.values, ["hub", "baseUrl"], config["base_url"])
    if "firstuseauthenticator" in config["auth"]["type"].lower():
        # On the hub's database volume, where firstuse_passwords.py puts the old passwords.
        _put(out.values, ["hub", "config", "FirstUseAuthenticator", "dbm_path"], FIRSTUSE_DBM)
    _singleuser(config, settings, image, out)
    _culler(config, out)
    _services(settings, out)
    _https(config, read_text, out)
    _auth_notes(config, out)
    _unmapped_keys(config, out)
    return out


def _singleuser(config, settings, image, out: ChartValues) -> None:
    spawner = settings.get("Spawner", {})
    single = out.values.setdefault("singleuser", {})
    single["image"] = {"name": image[0], "tag": image[1]}
    single["defaultUrl"] = spawner["default_url"]
    # KubeSpawner reads these as JupyterHub does (ByteSpecification: 1G is 1024^3 bytes), not as
    # Kubernetes quantities, so our values carry over unchanged.
    single["memory"] = {"limit": spawner.get("mem_limit")}
    single["cpu"] = {"limit": spawner.get("cpu_limit")}
    guarantee = _memory_guarantee(config)
    if guarantee is not None:
        single["memory"]["guarantee"] = guarantee
    # Home volumes under the names homes.sh gives the archives (the chart leaves this empty,
    # which means KubeSpawner's own default: the same template).
    single["storage"] = {"dynamic": {"pvcNameTemplate": "claim-{user_server}"}}


def _memory_guarantee(config) -> str | None:
    """The chart reserves 1G per server: no more than the smallest memory limit, or pods are refused."""
    size = LIMITS["memory"][1]
    limits = [config["limits"]["memory"]] + [(g.get("limits") or {}).get("memory") for g in config["groups"].values()]
    limits = [limit for limit in limits if limit]
    if not limits:
        return None
    smallest = min(limits, key=size)
    return smallest if size(smallest) < size(CHART_MEMORY_GUARANTEE) else None


def _culler(config, out: ChartValues) -> None:
    cull = config["services"]["cull"]
    # As our culler runs (tljh_lite.culler.units): admins are never deleted when users are.
    flags = dict(arg.split("=", 1) for arg in culler_args(config) if arg.startswith("--"))
    # Every setting, always: the chart's defaults differ from ours (every 600 s, concurrency 10).
    out.values["cull"] = {
        "enabled": bool(cull["enabled"]), "users": bool(cull["users"]),
        "adminUsers": flags.get("--cull-admin-users", "True") == "True",
        "removeNamedServers": bool(cull["remove_named_servers"]), "timeout": int(cull["timeout"]),
        "every": int(cull["every"]), "concurrency": int(cull["concurrency"]), "maxAge": int(cull["max_age"]),
    }


def _services(settings, out: ChartValues) -> None:
    hub = settings.get("JupyterHub", {})
    for service in hub.get("services", []):
        if any(str(arg).startswith(OURS) for arg in service.get("command", [])):
            out.notes.append(Note(f"tljh-lite's service '{service['name']}'", "it is part of tljh-lite, which does "
                                  "not run on the new hub", "use the new hub's admin page, or its Prometheus "
                                  "metrics (/hub/metrics) for usage figures"))
        elif service["name"] != CULLER_NAME:
            out.notes.append(Note(f"JupyterHub service '{service['name']}'", "it runs on this machine (its command "
                                  "and token are this hub's)", "add it under hub.services and its role under "
                                  "hub.loadRoles, with a command available in the hub image"))


def _https(config, read_text, out: ChartValues) -> None:
    https = config["https"]
    if not https["enabled"]:
        return
    proxy = {"enabled": True}
    le, tls = https["letsencrypt"], https["tls"]
    if tls["key"] and tls["cert"]:
        proxy.update(type="manual", hosts=list(le["domains"]))
        try:
            out.secrets.setdefault("proxy", {})["https"] = {
                "manual": {"key": read_text(tls["key"]), "cert": read_text(tls["cert"])}}
        except OSError as e:
            out.notes.append(Note("https.tls.key, https.tls.cert", f"could not read them here ({e})",
                                  "put the PEM texts under proxy.https.manual.key and .cert in values-secrets.yaml"))
    else:
        acme = le["acme_server"] or (STAGING_ACME if le["staging"] else None)
        letsencrypt = {"contactEmail": le["email"] or None}
        if acme:
            letsencrypt["acmeServer"] = acme
        proxy.update(type="letsencrypt", hosts=list(le["domains"]), letsencrypt=letsencrypt)
        if not le["domains"]:
            out.notes.append(Note("https.letsencrypt.domains", "empty: the chart needs the hosts to get a certificate",
                                  "set proxy.https.hosts to the new hub's DNS names"))
    out.values.setdefault("proxy", {})["https"] = proxy
    out.notes.append(Note("DNS", "the hub's name points at this machine",
                          "point it at the chart's proxy-public service (kubectl get svc proxy-public) once the "
                          "new hub runs; Let's Encrypt then issues the certificate there"))


def _auth_notes(config, out: ChartValues) -> None:
    auth_type = config["auth"]["type"]
    kind = auth_type.lower()
    if "pam" in kind or "systemuser" in kind or "localauthenticator" in kind:
        out.notes.append(Note(f"auth.type {auth_type}", "it checks this machine's unix accounts, which a pod does not "
                              "have", "choose an authenticator of the chart's hub image (FirstUse, OAuth, LDAP) "
                              "and set hub.config.JupyterHub.authenticator_class"))
    elif not kind.startswith(IN_HUB_IMAGE) and kind not in IN_HUB_IMAGE:
        out.notes.append(Note(f"auth.type {auth_type}", "not in the chart's hub image (quay.io/jupyterhub/k8s-hub); "
                              "values.yaml names it anyway, with its settings", "build a hub image FROM "
                              "quay.io/jupyterhub/k8s-hub with its package and set hub.image, or choose another"))
    if kind_of(auth_type) == "lti13":
        # Not with the released class: it would let in whoever posts the login form (docs/lms.md).
        out.values["hub"]["config"].get("LTI13Authenticator", {}).pop("allow_all", None)
        out.notes.append(Note(f"auth.type {auth_type}", "the chart's hub image runs jupyterhub-ltiauthenticator as "
                              "released, which logs in whoever posts the hub's login form with a name (tljh-lite "
                              "runs a class of its own, docs/lms.md), so values.yaml leaves allow_all off and no "
                              "launch gets in", "build a hub image FROM quay.io/jupyterhub/k8s-hub with tljh-lite "
                              "in it, set hub.config.JupyterHub.authenticator_class to "
                              "tljh_lite.auth.lti.authenticator.LTI13Authenticator and "
                              "hub.config.LTI13Authenticator.allow_all to true"))
    if "nativeauthenticator" in kind:
        out.notes.append(Note("NativeAuthenticator's passwords", "they live in this hub's database, which does not "
                              "move (the new hub may run an older JupyterHub)", "students sign up again on the new "
                              "hub, or switch to FirstUse before the move and import users.json's hashes"))
    if "oauth" in kind or any("oauth_callback_url" in (t or {}) for t in config["auth"].values() if isinstance(t, dict)):
        out.notes.append(Note("OAuth callback URL", "the OAuth app knows this hub's address",
                              "if the address changes, update oauth_callback_url in values.yaml and in the "
                              "provider's app settings"))


def _unmapped_keys(config, out: ChartValues) -> None:
    users = config["users"]
    if users["extra_user_groups"]:
        out.notes.append(Note("users.extra_user_groups", "pods have no unix accounts, so no unix groups to add "
                              "students to", "use JupyterHub groups (config.yaml's groups, exported) or "
                              "singleuser.extraPodConfig.securityContext.supplementalGroups for file access"))
    http, https = config["http"], config["https"]
    if http["port"] != 80 or http["address"] or https["port"] != 443 or https["address"]:
        out.notes.append(Note("http.port, http.address, https.port, https.address",
                              "the chart serves 80 and 443 on its proxy-public service",
                              "set proxy.service.type (LoadBalancer, NodePort with proxy.service.nodePorts) or an "
                              "ingress instead"))
    if config["services"].get("configurator", {}).get("enabled"):
        out.notes.append(Note("services.configurator.enabled", "TLJH's configurator edits this machine's config.yaml",
                              "edit values.yaml and run helm upgrade"))
    if config.get("backup", {}).get("schedule", "off") != "off":
        out.notes.append(Note("backup.schedule", "tljh-lite's backups archive this machine",
                              "back up the cluster's volumes (hub-db-dir and the claim-* home volumes) with your "
                              "storage's snapshots or Velero"))
    if users["admin"]:
        out.notes.append(Note("users.admin (sudo)", "here admins may sudo on the machine; in a pod nobody is root",
                              "admins keep the hub's admin role; packages for everyone go into the image"))


def _put(target: dict, path: list[str], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _plain(value: Any) -> Any:
    """YAML-ready: sets as sorted lists, tuples as lists, all the way down."""
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
