"""config.yaml to Zero to JupyterHub values: the mapping key by key, and every export checked the
chart's way (merged over its defaults, validated against its schema: the chart's files vendored in
tljh_lite/scaleout/chart/, see its README)."""

from __future__ import annotations

import functools
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from tljh_lite.config.defaults import merged
from tljh_lite.scaleout import chart
from tljh_lite.scaleout.values import chart_values

Z2JH = chart.CHART_DIR
IMAGE = ("registry.example.org/tljh-lite-user", "0123456789ab")
KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n"
CERT = "-----BEGIN CERTIFICATE-----\nMIIDdz\n-----END CERTIFICATE-----\n"
FILES = {"/etc/ssl/hub.key": KEY, "/etc/ssl/hub.crt": CERT}


@functools.lru_cache(maxsize=None)
def load(name: str):
    return YAML(typ="safe", pure=True).load((Z2JH / name).read_text())


def chart_errors(*layers: dict) -> list[str]:
    """The chart's own check, done here with jsonschema directly (the product's `chart.problems` must agree)."""
    values = load("values.yaml")
    for layer in layers:
        values = chart.merge(values, layer)
    return [e.message for e in jsonschema.Draft7Validator(load("values.schema.yaml")).iter_errors(values)]


def read_text(path: str) -> str:
    if path not in FILES:
        raise FileNotFoundError(2, "No such file or directory", path)
    return FILES[path]


def export(config: dict):
    return chart_values(merged(config), image=IMAGE, read_text=read_text)


FIRSTUSE = {"users": {"allowed": ["alice", "bob"], "admin": ["prof"], "banned": ["eve"]}}
GITHUB = {"auth": {"type": "oauthenticator.github.GitHubOAuthenticator",
                   "GitHubOAuthenticator": {"client_id": "abc", "client_secret": "s3cret",
                                            "oauth_callback_url": "https://hub.example.org/hub/oauth_callback"}},
          "users": {"allowed": ["octocat"], "admin": ["prof"]}}
GROUPS = {"limits": {"memory": "512M", "cpu": 1},
          "groups": {"tas": {"users": ["tina"], "limits": {"memory": "4G", "cpu": 2}},
                     "big": {"users": ["bob"], "limits": {"memory": None}}},
          "users": {"allowed": ["tina", "bob"]}}
MANUAL = {"https": {"enabled": True, "tls": {"key": "/etc/ssl/hub.key", "cert": "/etc/ssl/hub.crt"},
                    "letsencrypt": {"domains": ["hub.example.org"]}}}
LETSENCRYPT = {"https": {"enabled": True, "letsencrypt": {"email": "prof@uni.example",
                                                          "domains": ["hub.uni.example", "jupyter.uni.example"]}}}
CONFIGS = {"firstuse": FIRSTUSE, "github": GITHUB, "groups": GROUPS, "manual-https": MANUAL,
           "letsencrypt": LETSENCRYPT, "defaults": {}}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_export_passes_the_charts_schema(name):
    out = export(CONFIGS[name])
    assert chart_errors(out.values, out.secrets) == []
    assert chart.problems(out.values, out.secrets) == []  # the product's check agrees


def test_the_vendored_chart_files_name_their_source_and_ship_with_the_package():
    readme = (Z2JH / "README.md").read_text()
    assert "48ea50e34daddde55d76e30df6ecd47e4abd4d8e" in readme and "BSD-3-Clause" in readme
    assert "Redistribution and use in source and binary forms" in (Z2JH / "LICENSE").read_text()
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert '"tljh_lite.scaleout" = ["chart/*"]' in pyproject


def test_the_authenticator_and_who_may_log_in_go_under_hub_config():
    config = export(FIRSTUSE).values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "firstuseauthenticator.FirstUseAuthenticator"
    assert config["Authenticator"] == {"allowed_users": ["alice", "bob", "prof"], "admin_users": ["prof"],
                                       "blocked_users": ["eve"], "allow_existing_users": False}
    assert config["FirstUseAuthenticator"] == {"create_users": False, "allow_all": False,
                                               "dbm_path": "/srv/jupyterhub/passwords.dbm"}


def test_oauth_settings_pass_through_and_the_secret_goes_to_the_secrets_file():
    out = export(GITHUB)
    github = out.values["hub"]["config"]["GitHubOAuthenticator"]
    assert github == {"client_id": "abc", "oauth_callback_url": "https://hub.example.org/hub/oauth_callback"}
    assert out.secrets["hub"]["config"]["GitHubOAuthenticator"] == {"client_secret": "s3cret"}
    assert "s3cret" not in str(out.values)
    assert any("callback" in note.setting for note in out.notes)


def test_what_is_secret_is_decided_by_where_the_value_comes_from_not_by_its_name():
    # The review: a name test sent FirstUse's min_password_length and an OAuth token_url to the secrets file
    # (the professor would hand on values.yaml without them), and a secret named otherwise stayed in clear.
    out = export({"auth": {
        "type": "ldapauthenticator.LDAPAuthenticator",
        "FirstUseAuthenticator": {"min_password_length": 10},
        "GenericOAuthenticator": {"token_url": "https://idp.example.org/token", "client_secret": "oauth-s3cret"},
        "LDAPAuthenticator": {"lookup_dn_search_password": "bind-s3cret", "server_address": "ldap.example.org"},
        "DummyAuthenticator": {"password": "shared-s3cret"},
        "LTI11Authenticator": {"consumers": {"canvas-key": "lti-s3cret"}},
    }})
    config = out.values["hub"]["config"]
    assert config["FirstUseAuthenticator"]["min_password_length"] == 10
    assert config["GenericOAuthenticator"] == {"token_url": "https://idp.example.org/token"}
    assert out.secrets["hub"]["config"] == {
        "GenericOAuthenticator": {"client_secret": "oauth-s3cret"},
        "LDAPAuthenticator": {"lookup_dn_search_password": "bind-s3cret"},
        "DummyAuthenticator": {"password": "shared-s3cret"},
        "LTI11Authenticator": {"consumers": {"canvas-key": "lti-s3cret"}},
    }
    assert "s3cret" not in str(out.values)


def test_limits_go_to_singleuser_and_group_limits_to_group_overrides():
    out = export(GROUPS)
    single = out.values["singleuser"]
    # KubeSpawner reads mem_limit as JupyterHub does (1G = 1024^3 bytes): the text carries over unchanged.
    assert single["memory"] == {"limit": "512M", "guarantee": "512M"}  # the chart's 1G guarantee > limit
    assert single["cpu"] == {"limit": 1.0}
    config = out.values["hub"]["config"]
    assert config["JupyterHub"]["load_groups"] == {"tas": {"users": ["tina"]}, "big": {"users": ["bob"]}}
    overrides = config["Spawner"]["group_overrides"]
    assert overrides["memory-0000-tas"] == {"groups": ["tas"], "spawner_override": {"mem_limit": "4G"}}
    assert overrides["memory-0001-big"] == {"groups": ["big"], "spawner_override": {"mem_limit": None}}
    assert overrides["cpu-0000-tas"] == {"groups": ["tas"], "spawner_override": {"cpu_limit": 2.0}}
    assert "mem_limit" not in config.get("Spawner", {}) and "cpu_limit" not in config.get("Spawner", {})


def test_no_limit_keeps_the_charts_guarantee_and_a_big_one_too():
    assert export({}).values["singleuser"]["memory"] == {"limit": None}
    assert export({"limits": {"memory": "2G"}}).values["singleuser"]["memory"] == {"limit": "2G"}


def test_the_culler_is_always_written_with_every_setting():
    assert export({}).values["cull"] == {"enabled": True, "users": False, "adminUsers": True,
                                         "removeNamedServers": False, "timeout": 3600, "every": 300,
                                         "concurrency": 5, "maxAge": 0}
    off = export({"services": {"cull": {"enabled": False, "timeout": 600, "users": True}}}).values["cull"]
    assert off["enabled"] is False and off["timeout"] == 600 and off["users"] is True and off["every"] == 300


def test_default_url_and_base_url():
    values = export({"base_url": "/jupyter/", "user_environment": {"default_app": "classic"}}).values
    assert values["hub"]["baseUrl"] == "/jupyter/"
    assert values["singleuser"]["defaultUrl"] == "/tree"
    assert "base_url" not in values["hub"]["config"].get("JupyterHub", {})


def test_the_image_and_the_home_volume_names():
    single = export({}).values["singleuser"]
    assert single["image"] == {"name": IMAGE[0], "tag": IMAGE[1]}
    assert single["storage"]["dynamic"]["pvcNameTemplate"] == "claim-{user_server}"


def test_manual_https_puts_the_pem_texts_in_the_secrets_only():
    out = export(MANUAL)
    assert out.values["proxy"]["https"] == {"enabled": True, "type": "manual", "hosts": ["hub.example.org"]}
    assert out.secrets["proxy"]["https"]["manual"] == {"key": KEY, "cert": CERT}
    assert "PRIVATE KEY" not in str(out.values)


def test_letsencrypt_https_carries_the_hosts_and_the_contact():
    https = export(LETSENCRYPT).values["proxy"]["https"]
    assert https == {"enabled": True, "type": "letsencrypt", "hosts": ["hub.uni.example", "jupyter.uni.example"],
                     "letsencrypt": {"contactEmail": "prof@uni.example"}}
    staging = export({"https": {**LETSENCRYPT["https"], "letsencrypt": {**LETSENCRYPT["https"]["letsencrypt"],
                                                                      "staging": True}}})
    assert "staging" in staging.values["proxy"]["https"]["letsencrypt"]["acmeServer"]
    assert "proxy" not in export({}).values


def test_a_config_that_cannot_be_expressed_writes_what_it_can_and_lists_the_rest():
    config = {"auth": {"type": "mycollege.CampusAuthenticator", "CampusAuthenticator": {"realm": "X"}},
              "users": {"allowed": ["alice"], "extra_user_groups": {"lab": ["alice"]}},
              "http": {"port": 8080}, "https": {"enabled": True, "tls": {"key": "/gone.key", "cert": "/gone.crt"}},
              "services": {"configurator": {"enabled": True}}, "backup": {"schedule": "daily"}}
    out = export(config)
    assert out.values["hub"]["config"]["CampusAuthenticator"] == {"realm": "X"}
    assert out.values["hub"]["config"]["Authenticator"]["allowed_users"] == ["alice"]
    settings = " ".join(note.setting for note in out.notes)
    for key in ("auth.type mycollege.CampusAuthenticator", "users.extra_user_groups", "http.port",
                "https.tls.key", "services.configurator.enabled", "backup.schedule"):
        assert key in settings
    assert all(note.why and note.instead for note in out.notes)
    assert chart_errors(out.values, out.secrets) == []


def test_pam_and_native_authenticators_are_named_in_the_notes():
    pam = export({"auth": {"type": "jupyterhub.auth.PAMAuthenticator"}})
    assert any("unix accounts" in note.why for note in pam.notes)
    native = export({"auth": {"type": "nativeauthenticator.NativeAuthenticator"}})
    assert any("NativeAuthenticator" in note.setting for note in native.notes)
    assert not any(note.setting.startswith("auth.type") for note in native.notes)  # it is in the hub image


def test_invalid_values_are_found():
    assert chart.problems({"singleuser": {"cpu": {"limit": "two"}}})
    assert chart.problems({"cull": {"every": "often"}})[0].startswith("cull.every")


def test_culling_users_never_culls_admins_as_our_culler_runs():
    assert export({"services": {"cull": {"users": True}}}).values["cull"]["adminUsers"] is False


def test_an_authenticator_of_tljh_lites_own_is_exported_as_the_one_config_yaml_names(monkeypatch):
    from tljh_lite.scaleout import values as values_module

    original = values_module.hub_settings

    def ours(config, **kwargs):
        settings = original(config, **kwargs)
        settings["JupyterHub"]["authenticator_class"] = "tljh_lite.auth.native.LiteNativeAuthenticator"
        settings["JupyterHub"]["services"].append({"name": "usage", "command": ["python3", "-m", "tljh_lite.usage"]})
        return settings

    monkeypatch.setattr(values_module, "hub_settings", ours)
    out = export({"auth": {"type": "nativeauthenticator.NativeAuthenticator"}})
    assert out.values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "nativeauthenticator.NativeAuthenticator"
    assert any(note.setting == "tljh-lite's service 'usage'" for note in out.notes)
