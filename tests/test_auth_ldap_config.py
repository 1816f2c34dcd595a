"""LDAPAuthenticator set up with TLJH's keys and the lines of
docs/authentication.md: every key reaches the hub's settings with the
type ldapauthenticator 2 takes, TLS settings included.

integration-tests/test_auth_ldap.py logs in against a real directory (slapd).
"""

from __future__ import annotations

from conftest import run_process
from fakes import configured
from tljh_lite.config.file import ConfigFile
from tljh_lite.users.admission import dropped_users

AUTH = "auth.LDAPAuthenticator"


def test_ldap_as_tljh_documents_it_with_a_group(cli, config_path, checker):
    c = configured(
        cli, config_path, checker,
        f"set {AUTH}.server_address ldap.example.edu",
        f"set {AUTH}.bind_dn_template uid={{username}},ou=people,dc=example,dc=edu",
        f"add-item {AUTH}.allowed_groups cn=jupyter,ou=groups,dc=example,dc=edu",
        "set auth.type ldapauthenticator.LDAPAuthenticator",
        "add-item users.admin prof",
        "add-item users.banned mallory",
    )
    assert c.JupyterHub.authenticator_class == "ldapauthenticator.LDAPAuthenticator"
    assert c.LDAPAuthenticator.server_address == "ldap.example.edu"
    assert c.LDAPAuthenticator.bind_dn_template == "uid={username},ou=people,dc=example,dc=edu"
    assert c.LDAPAuthenticator.allowed_groups == ["cn=jupyter,ou=groups,dc=example,dc=edu"]
    # The group's members, plus users.allowed and the admins; never users.banned.
    assert c.Authenticator.allowed_users == {"prof"}
    assert c.Authenticator.blocked_users == {"mallory"}


def test_several_bind_templates_are_a_list(cli, config_path, checker):
    c = configured(
        cli, config_path, checker,
        f"add-item {AUTH}.bind_dn_template uid={{username}},ou=students,dc=example,dc=edu",
        f"add-item {AUTH}.bind_dn_template uid={{username}},ou=staff,dc=example,dc=edu",
    )
    assert c.LDAPAuthenticator.bind_dn_template == [
        "uid={username},ou=students,dc=example,dc=edu", "uid={username},ou=staff,dc=example,dc=edu"]


def test_starttls_with_the_certificate_checked_against_the_campus_ca(cli, config_path, checker):
    c = configured(
        cli, config_path, checker,
        f"set {AUTH}.tls_strategy before_bind",
        f"set {AUTH}.tls_kwargs.validate 2",
        f"set {AUTH}.tls_kwargs.ca_certs_file /usr/local/share/ca-certificates/campus.crt",
    )
    assert c.LDAPAuthenticator.tls_strategy == "before_bind"
    # ldap3's Tls(validate=ssl.CERT_REQUIRED): without it, ldap3 does not check the certificate at all.
    assert c.LDAPAuthenticator.tls_kwargs == {
        "validate": 2, "ca_certs_file": "/usr/local/share/ca-certificates/campus.crt"}


def test_ldaps_on_port_636_and_a_lookup_account_whose_password_is_digits(cli, config_path, checker):
    c = configured(
        cli, config_path, checker,
        f"set {AUTH}.tls_strategy on_connect",
        f"set {AUTH}.server_port 636",
        f"set {AUTH}.lookup_dn true",
        f"set {AUTH}.lookup_dn_search_user cn=jupyterhub,ou=services,dc=example,dc=edu",
        f"set {AUTH}.lookup_dn_search_password 00424242",
        f"set {AUTH}.user_search_base ou=people,dc=example,dc=edu",
        f"set {AUTH}.user_attribute uid",
    )
    assert c.LDAPAuthenticator.server_port == 636 and c.LDAPAuthenticator.lookup_dn is True
    assert c.LDAPAuthenticator.lookup_dn_search_password == "00424242"  # text, zeros kept


def test_tljh_docs_stray_equals_sign_is_refused_without_changing_anything(config_path):
    """An old TLJH page wrote `set auth.LDAPAuthenticator.server_address = 'my-ldap-server'`."""
    result = run_process("--config-path", str(config_path), "set", f"{AUTH}.server_address", "=", "my-ldap-server")
    assert result.returncode != 0 and "unrecognized arguments: my-ldap-server" in result.stderr
    assert not config_path.exists()


def test_a_member_let_in_by_her_group_is_not_taken_for_a_dropped_student(cli, config_path, checker):
    """Only FirstUse's lists are the whole story: a reload must not block people the directory's
    group (or an OAuth claim) let in, though they are in no list of config.yaml."""
    configured(cli, config_path, checker, f"add-item {AUTH}.allowed_groups cn=jupyter,dc=example,dc=edu",
               "set auth.type ldapauthenticator.LDAPAuthenticator", "add-item users.admin prof")
    assert dropped_users(checker.merged(ConfigFile(config_path).load()), {"prof", "lara"}) == set()
