"""Every schema rule, valid and invalid, through the messages a professor sees."""

import pytest

from tljh_lite.config import yaml
from tljh_lite.config.formats import FORMATS, format_checker
from tljh_lite.config.schema import BASE_SCHEMA, build_schema, lookup
from tljh_lite.config.checker import Checker
from tljh_lite.errors import ConfigError

VALID = [
    {},
    {"base_url": "/"},
    {"base_url": "/jupyter/"},
    {"base_url": "/a/b-c/"},
    {"auth": {"type": "firstuseauthenticator.FirstUseAuthenticator"}},
    {"auth": {"type": "github"}},
    {"auth": {"type": "dummy", "DummyAuthenticator": {"password": "x"}}},
    {"auth": {"GitHubOAuthenticator": {"client_id": "a", "allowed_organizations": ["o"], "scope": None}}},
    {"users": {"allowed": ["alice", "bob@example.edu", "Carol"], "banned": [], "admin": ["prof"]}},
    {"users": {"extra_user_groups": {"teachers": ["prof"], "data_101": []}}},
    {"limits": {"memory": "512M", "cpu": 0.5}},
    {"limits": {"memory": "1.5G", "cpu": 2}},
    {"limits": {"memory": None, "cpu": None}},
    {"limits": {"memory": "2048K"}},
    {"user_environment": {"default_app": "jupyterlab"}},
    {"user_environment": {"default_app": "classic"}},
    {"http": {"address": "", "port": 80}},
    {"http": {"address": "127.0.0.1", "port": 8080}},
    {"http": {"address": "::1"}},
    {"https": {"enabled": True, "port": 443, "tls": {"key": "/etc/k.pem", "cert": "/etc/c.pem"}}},
    {"https": {"enabled": True, "letsencrypt": {"email": "p@college.edu", "domains": ["hub.college.edu"]}}},
    {"https": {"letsencrypt": {"staging": True, "email": ""}}},
    {"https": {"letsencrypt": {"acme_server": "https://acme.campus.example:14000/dir"}}},
    {
        "services": {
            "cull": {
                "enabled": False,
                "timeout": 1,
                "every": 0,
                "concurrency": 1,
                "users": True,
                "max_age": 0,
                "remove_named_servers": True,
            },
            "configurator": {"enabled": False},
        }
    },
]

# (config, words the one-line error must contain)
INVALID = [
    ({"base_url": "jupyter"}, "base_url must be a URL path"),
    ({"base_url": "/jupyter"}, "base_url must be a URL path"),
    ({"base_url": 5}, "base_url must be"),
    ({"bogus": 1}, "unknown key bogus"),
    ({"limit": {}}, "did you mean limits?"),
    ({"limits": {"memroy": "1G"}}, "unknown key limits.memroy; did you mean limits.memory?"),
    ({"traefik_api": {"port": 8099}}, "not traefik"),
    ({"auth": {"type": "not a class"}}, "auth.type must be an authenticator class"),
    ({"auth": {"type": 3}}, "auth.type must be"),
    ({"auth": {"lowercase": {"a": 1}}}, "unknown key auth.lowercase"),
    ({"auth": {"GitHubOAuthenticator": "x"}}, "auth.GitHubOAuthenticator must be a mapping"),
    ({"auth": {"GitHubOAuthenticator": {"not-ident": 1}}}, "has a key 'not-ident' that is not a setting name"),
    ({"users": {"allowed": "alice"}}, "users.allowed must be a list of usernames, not 'alice'"),
    ({"users": {"allowed": ["has space"]}}, "users.allowed[0] must be a username"),
    ({"users": {"allowed": ["a/b"]}}, "users.allowed[0] must be a username"),
    ({"users": {"admin": ["a,b"]}}, "users.admin[0] must be a username"),
    ({"users": {"banned": [""]}}, "users.banned[0] must be a username"),
    ({"users": {"admin": [5]}}, "users.admin[0] must be text, not 5"),
    ({"users": {"allowed": ["a", "a"]}}, "users.allowed lists the same value twice"),
    ({"users": {"extra_user_groups": {"Bad Group": []}}}, "'Bad Group' that is not a unix group name"),
    ({"users": {"extra_user_groups": {"g": "alice"}}}, "users.extra_user_groups.g must be a list of usernames"),
    ({"users": {"extra_user_groups": []}}, "users.extra_user_groups must be a mapping"),
    ({"limits": {"memory": "1GB"}}, "limits.memory must be a memory size like 512M or 1G, or none, not '1GB'"),
    ({"limits": {"memory": "512"}}, "limits.memory must be a memory size"),
    ({"limits": {"memory": 512}}, "limits.memory must be a memory size"),
    ({"limits": {"memory": "0M"}}, "limits.memory must be a memory size"),
    ({"limits": {"memory": "-1G"}}, "limits.memory must be a memory size"),
    ({"limits": {"cpu": 0}}, "limits.cpu must be a positive number"),
    ({"limits": {"cpu": -1}}, "limits.cpu must be a positive number"),
    ({"limits": {"cpu": "two"}}, "limits.cpu must be a positive number"),
    ({"limits": {"cpu": True}}, "limits.cpu must be a positive number"),
    ({"user_environment": {"default_app": "nteract"}}, "must be jupyterlab or classic, not 'nteract'"),
    ({"http": {"port": 0}}, "http.port must be a port number"),
    ({"http": {"port": 70000}}, "http.port must be a port number"),
    ({"http": {"port": "80"}}, "http.port must be a port number"),
    ({"http": {"address": "localhost"}}, "http.address must be an IP address"),
    ({"https": {"enabled": "yes"}}, "https.enabled must be true or false, not 'yes'"),
    ({"https": {"port": 1.5}}, "https.port must be a port number"),
    ({"https": {"tls": {"key": "relative.pem"}}}, "https.tls.key must be an absolute file path"),
    ({"https": {"letsencrypt": {"email": "nobody"}}}, "https.letsencrypt.email must be an email address"),
    ({"https": {"letsencrypt": {"domains": "example.org"}}}, "https.letsencrypt.domains must be a list of domain names"),
    ({"https": {"letsencrypt": {"domains": ["not a domain"]}}}, "https.letsencrypt.domains[0] must be a domain name"),
    ({"https": {"letsencrypt": {"domains": ["localhost"]}}}, "must be a domain name"),
    ({"https": {"letsencrypt": {"staging": 1}}}, "https.letsencrypt.staging must be true or false"),
    ({"https": {"letsencrypt": {"acme_server": "http://acme.campus.example/dir"}}},
     "https.letsencrypt.acme_server must be an ACME directory URL (https://...)"),
    ({"https": {"letsencrypt": {"acme_server": "acme.campus.example"}}}, "https.letsencrypt.acme_server must be"),
    ({"services": {"cull": {"timeout": 0}}}, "services.cull.timeout must be a number of seconds"),
    ({"services": {"cull": {"timeout": "1h"}}}, "services.cull.timeout must be"),
    ({"services": {"cull": {"every": -1}}}, "services.cull.every must be"),
    ({"services": {"cull": {"concurrency": 0}}}, "services.cull.concurrency must be"),
    ({"services": {"cull": {"max_age": -5}}}, "services.cull.max_age must be"),
    ({"services": {"cull": {"users": "no"}}}, "services.cull.users must be true or false"),
    ({"services": {"cull": {"remove_named_servers": None}}}, "services.cull.remove_named_servers must be"),
    ({"services": {"cull": {"enable": True}}}, "did you mean services.cull.enabled?"),
    ({"services": {"configurator": {"enabled": "x"}}}, "services.configurator.enabled must be true or false"),
    # cross-key rules
    ({"https": {"enabled": True}}, "https.enabled is true but no certificate is configured"),
    ({"https": {"enabled": True, "letsencrypt": {"domains": ["a.example.org"]}}}, "needs https.letsencrypt.email"),
    ({"https": {"tls": {"key": "/k.pem"}}}, "must be set together"),
    (
        {"https": {"letsencrypt": {"staging": True, "acme_server": "https://acme.campus.example/dir"}}},
        "https.letsencrypt.staging picks Let's Encrypt's test server",
    ),
    (
        {"https": {"enabled": True, "port": 80, "tls": {"key": "/k", "cert": "/c"}}},
        "http.port and https.port must differ",
    ),
    (
        {"auth": {"GenericOAuthenticator": {"manage_groups": True}}, "groups": {"tas": {"users": ["tom"]}}},
        "auth.GenericOAuthenticator.manage_groups is true, so the authenticator makes the hub's groups, but "
        "config.yaml has groups too (tas): JupyterHub does not start with both",
    ),
]


@pytest.mark.parametrize("config", VALID)
def test_valid_configs_pass(checker, config):
    assert checker.problems(config) == []


@pytest.mark.parametrize("config, words", INVALID)
def test_invalid_configs_are_named_in_one_line(checker, config, words):
    with pytest.raises(ConfigError) as raised:
        checker.check(config)
    line = raised.value.one_line()
    assert words in line
    assert "\n" not in line


def test_every_format_the_schema_uses_is_enforced():
    used = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                used.add(node["format"])
            for value in node.values():
                walk(value)

    walk(BASE_SCHEMA)
    checker = format_checker()
    assert used <= set(checker.checkers)
    assert used <= set(FORMATS)
    # jsonschema's optional formats (e.g. hostname needing an extra package) are not relied on
    assert not checker.conforms("not a domain", "hostname")


def test_several_problems_are_counted(checker):
    with pytest.raises(ConfigError) as raised:
        checker.check({"limits": {"cpu": -1, "memory": "x"}, "bogus": 1})
    assert "2 more problems: run tljh-config validate" in raised.value.one_line()


TLJH_WRITTEN_CONFIG = """\
# written by TLJH's tljh-config and edited by hand
users:
  admin:
  - yuvipanda
  allowed:
  - alice
  - bob
  banned: []
  extra_user_groups:
    teachers:
    - yuvipanda
auth:
  type: firstuseauthenticator.FirstUseAuthenticator
  FirstUseAuthenticator:
    create_users: true
limits:
  memory: 1G
  cpu: 1
user_environment:
  default_app: classic
http:
  port: 80
https:
  enabled: true
  port: 443
  letsencrypt:
    email: prof@example.edu
    domains:
    - hub.example.edu
    staging: false
services:
  cull:
    enabled: true
    timeout: 3600
    every: 600
    users: false
    max_age: 0
    concurrency: 5
    remove_named_servers: false
"""


def test_a_config_tljh_accepts_is_accepted_unchanged(checker):
    assert checker.problems(yaml.loads(TLJH_WRITTEN_CONFIG)) == []


def test_plugins_add_sections_that_are_validated_like_built_in_keys():
    schema = build_schema(
        {"shared_folders": {"type": "object", "properties": {"course": {"type": "string", "format": "absolute-path-or-empty"}}}}
    )
    checker = Checker(schema)
    assert checker.problems({"shared_folders": {"course": "/srv/course"}}) == []
    with pytest.raises(ConfigError, match="did you mean shared_folders.course"):
        checker.check({"shared_folders": {"cours": "/srv"}})
    with pytest.raises(ConfigError, match="shared_folders.course must be an absolute file path"):
        checker.check({"shared_folders": {"course": "srv"}})
    assert lookup(schema, ["shared_folders", "course"])["type"] == "string"
    assert lookup(BASE_SCHEMA, ["shared_folders"]) is None  # the base schema is not changed


def test_plugins_cannot_redefine_built_in_keys():
    with pytest.raises(ConfigError, match="redefine the built-in config key 'limits'"):
        build_schema({"limits": {"type": "object"}})


def test_lookup_finds_keys_patterns_and_free_form_sections():
    assert lookup(BASE_SCHEMA, ["limits", "memory"])["format"] == "memory-size"
    assert lookup(BASE_SCHEMA, ["users", "extra_user_groups", "anygroup"])["type"] == "array"
    assert lookup(BASE_SCHEMA, ["auth", "GitHubOAuthenticator", "client_id"])["type"] == ["string", "null"]  # text
    assert lookup(BASE_SCHEMA, ["auth", "GitHubOAuthenticator", "allowed_organizations"]) == {}
    assert lookup(BASE_SCHEMA, ["auth", "LDAPAuthenticator", "tls_kwargs", "validate"]) == {}  # dict settings
    assert lookup(BASE_SCHEMA, ["auth", "lowercase"]) is None
    assert lookup(BASE_SCHEMA, ["limits", "memory", "deeper"]) is None
    assert lookup(BASE_SCHEMA, ["nope"]) is None
