"""The configurer's mapping from config.yaml keys to JupyterHub settings."""

from traitlets.config import Config
import pytest

from tljh_lite.config.defaults import DEFAULTS, merged
from tljh_lite.hub.settings import apply, hub_settings
from tljh_lite.proxy.settings import proxy_settings



def settings(config):
    return hub_settings(merged(config))


def test_defaults():
    s = settings({})
    assert s["JupyterHub"]["base_url"] == "/"
    assert s["JupyterHub"]["authenticator_class"] == "tljh_lite.auth.firstuse.FirstUseAuthenticator"  # ours, same name
    assert s["FirstUseAuthenticator"] == {"create_users": False, "allow_all": False}
    assert s["Authenticator"] == {
        "allowed_users": set(), "allow_existing_users": False, "blocked_users": set(), "admin_users": set()
    }
    assert s["Spawner"]["default_url"] == "/lab"
    assert "mem_limit" not in s["Spawner"] and "cpu_limit" not in s["Spawner"]  # no limits unless asked for
    assert s["UserCreatingSpawner"] == {"user_groups": {}}


def test_base_url():
    assert settings({"base_url": "/jupyter/"})["JupyterHub"]["base_url"] == "/jupyter/"


def test_authenticator_class_and_its_traits():
    s = settings(
        {
            "auth": {
                "type": "oauthenticator.github.GitHubOAuthenticator",
                "GitHubOAuthenticator": {"client_id": "id", "client_secret": "s", "scope": None},
            }
        }
    )
    assert s["JupyterHub"]["authenticator_class"] == "oauthenticator.github.GitHubOAuthenticator"
    assert s["GitHubOAuthenticator"] == {"client_id": "id", "client_secret": "s"}  # none: class default


def test_user_lists():
    s = settings({"users": {"allowed": ["a", "b"], "banned": ["c"], "admin": ["p"]}})
    assert s["Authenticator"] == {
        "allowed_users": {"a", "b", "p"}, "allow_existing_users": False, "blocked_users": {"c"}, "admin_users": {"p"}
    }


def test_extra_user_groups():
    s = settings({"users": {"extra_user_groups": {"teachers": ["p"], "ta": ["a", "b"]}}})
    assert s["UserCreatingSpawner"]["user_groups"] == {"teachers": ["p"], "ta": ["a", "b"]}


def test_limits():
    s = settings({"limits": {"memory": "512M", "cpu": 1}})
    assert s["Spawner"]["mem_limit"] == "512M"
    assert s["Spawner"]["cpu_limit"] == 1.0 and isinstance(s["Spawner"]["cpu_limit"], float)


@pytest.mark.parametrize("app, url", [("jupyterlab", "/lab"), ("classic", "/tree")])
def test_default_app(app, url):
    assert settings({"user_environment": {"default_app": app}})["Spawner"]["default_url"] == url


def culler_and_sync(services):
    """The services besides the usage page (tests/test_usage_units.py)."""
    return [service for service in services if service["name"] != "usage"]


def service_roles(roles):
    """The roles besides the admins' (test_the_admin_role_lists_exactly_users_admin)."""
    return [role for role in roles if role["name"] != "admin"]


def test_the_idle_culler_is_a_service_with_a_token_and_the_culling_scopes():
    s = hub_settings(merged({}), culler_token="c0k")
    (service,) = culler_and_sync(s["JupyterHub"]["services"])
    assert service == {"name": "cull-idle", "api_token": "c0k"}  # no command: a timer runs it (tests/test_culler.py)
    (role,) = service_roles(s["JupyterHub"]["load_roles"])
    assert role["services"] == [service["name"]]
    assert set(role["scopes"]) == {"list:users", "read:users:activity", "read:servers", "delete:servers"}
    deleting = settings({"services": {"cull": {"users": True}}})
    assert "admin:users" in deleting["JupyterHub"]["load_roles"][0]["scopes"]  # deleting users needs it


def test_idle_culler_off():
    s = settings({"services": {"cull": {"enabled": False}}})
    assert culler_and_sync(s["JupyterHub"]["services"]) == [] and service_roles(s["JupyterHub"]["load_roles"]) == []


def test_proxy_http():
    assert proxy_settings(merged({})) == {"ip": "", "port": 80}
    assert proxy_settings(merged({"http": {"address": "127.0.0.1", "port": 8000}})) == {"ip": "127.0.0.1", "port": 8000}


def test_proxy_https_with_own_certificate_serves_only_https():
    config = merged({"https": {"enabled": True, "port": 8443, "tls": {"key": "/k.pem", "cert": "/c.pem"}}})
    # No redirect port: plain HTTP belongs to the responder (it answers ACME challenges too).
    assert proxy_settings(config) == {"ip": "", "port": 8443, "tls_key": "/k.pem", "tls_cert": "/c.pem"}


def test_proxy_https_with_letsencrypt_serves_certbots_lineage():
    config = merged({"https": {"enabled": True, "letsencrypt": {"email": "p@x.edu", "domains": ["hub.x.edu"]}}})
    s = proxy_settings(config)
    assert s["tls_key"] == "/etc/letsencrypt/live/tljh-lite/privkey.pem"
    assert s["tls_cert"] == "/etc/letsencrypt/live/tljh-lite/fullchain.pem"


def test_proxy_sync_service_may_only_touch_the_proxy():
    s = hub_settings(merged({"services": {"cull": {"enabled": False}}}), proxy_sync_token="t0k")
    assert culler_and_sync(s["JupyterHub"]["services"]) == [{"name": "proxy-sync", "api_token": "t0k"}]
    assert service_roles(s["JupyterHub"]["load_roles"]) == [
        {"name": "proxy-sync", "scopes": ["proxy"], "services": ["proxy-sync"]}]


def test_the_admin_role_lists_exactly_users_admin():
    # JupyterHub's admin_users only adds; a load_roles entry for "admin" with users is exact: whoever it
    # leaves out loses the admin flag when the hub starts (users/roles.py).
    s = settings({"users": {"admin": ["Prof", "ta"], "allowed": ["alice"]}})
    assert [r for r in s["JupyterHub"]["load_roles"] if r["name"] == "admin"] == [
        {"name": "admin", "users": ["prof", "ta"]}]
    assert [r for r in settings({})["JupyterHub"]["load_roles"] if r["name"] == "admin"] == [
        {"name": "admin", "users": []}]  # no admins in config.yaml: none in the hub


def test_apply_puts_settings_on_a_traitlets_config():
    c = Config()
    apply(c, settings({"limits": {"memory": "1G"}, "users": {"admin": ["prof"]}}))
    assert c.Spawner.mem_limit == "1G"
    assert c.Authenticator.admin_users == {"prof"}
    assert c.JupyterHub.services[0]["name"] == "cull-idle"


def test_hub_settings_do_not_mutate_the_config():
    config = merged({"users": {"allowed": ["a"]}})
    snapshot = repr(config)
    hub_settings(config)
    assert repr(config) == snapshot
    assert DEFAULTS["users"]["allowed"] == []


def test_over_https_the_xsrf_cookies_are_secure_too():
    from traitlets import Dict
    from traitlets.config import Application

    s = settings({"https": {"enabled": True, "tls": {"key": "/k", "cert": "/c"}}})
    assert s["JupyterHub"]["tornado_settings"] == {"xsrf_cookie_kwargs": {"secure": True}}

    class ServerApp(Application):  # what jupyterhub-singleuser parses its arguments with
        tornado_settings = Dict(config=True)

    server = ServerApp()
    server.parse_command_line([arg.format(USERNAME="jupyter-x", USERID=1) for arg in s["Spawner"]["args"]])
    assert server.tornado_settings == {"xsrf_cookie_kwargs": {"secure": True}}


def kernel_culling(s) -> dict:
    """What a student's server's kernel manager gets from the spawner's arguments (parsed as it parses them)."""
    from traitlets import Bool, Integer
    from traitlets.config import Application, Configurable

    class MappingKernelManager(Configurable):
        cull_idle_timeout = Integer(0, config=True)
        cull_interval = Integer(300, config=True)
        cull_connected = Bool(False, config=True)
        cull_busy = Bool(False, config=True)

    app = Application()
    app.classes = [MappingKernelManager]
    app.parse_command_line([arg.format(USERNAME="jupyter-x", USERID=1) for arg in s.get("Spawner", {}).get("args", [])])
    manager = MappingKernelManager(config=app.config)
    return {k: getattr(manager, k) for k in ("cull_idle_timeout", "cull_interval", "cull_connected", "cull_busy")}


def test_idle_kernels_are_shut_down_by_the_students_server_after_an_hour_busy_ones_never():
    assert kernel_culling(settings({})) == {"cull_idle_timeout": 3600, "cull_interval": 300, "cull_connected": True,
                                            "cull_busy": False}
    short = settings({"services": {"cull": {"kernel_timeout": 600, "every": 0}}})
    assert kernel_culling(short)["cull_idle_timeout"] == 600 and kernel_culling(short)["cull_interval"] == 300
    for off in ({"kernel_timeout": 0}, {"enabled": False}):
        assert kernel_culling(settings({"services": {"cull": off}}))["cull_idle_timeout"] == 0  # never
    # Over HTTPS the server gets both its secure cookies and the kernel culling.
    both = settings({"https": {"enabled": True, "tls": {"key": "/k", "cert": "/c"}}})
    assert kernel_culling(both)["cull_idle_timeout"] == 3600 and len(both["Spawner"]["args"]) == 5
    assert "args" not in settings({"services": {"cull": {"kernel_timeout": 0}}}).get("Spawner", {})
