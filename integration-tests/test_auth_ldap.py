"""LDAP logins on the session's hub, with TLJH's keys, against a real directory (Debian's
slapd in a container of its own, ldap_server.py): the login form, a wrong password,
allowed_groups, users.banned, a spawn and a kernel, and the directory's certificate
checked over StartTLS.

The hub is switched to LDAPAuthenticator with `tljh-config` lines a professor types
(docs/authentication.md) and put back at the end (auth_switch.py).
"""

from __future__ import annotations

import pytest

from auth_switch import auth_switched
from containers import ContainerFactory, Network
from installed import InstalledHub
from ldap_server import BIND_DN_TEMPLATE, NAME, PEOPLE, STUDENTS_GROUP, LdapServer, Person
from testca import TestCA

LARA = Person("lara", "lara-directory-password", in_students=True)
LENA = Person("lena", "lena-directory-password", in_students=True)  # in the group, but banned in config.yaml
LOU = Person("lou", "lou-directory-password", in_students=False)
CAMPUS_CA = "/usr/local/share/tljh-test/campus-ca.pem"


def settings() -> list[list[str]]:
    """What a professor types (TLJH's keys), with the directory's CA checked over StartTLS."""
    auth = "auth.LDAPAuthenticator"
    return [
        ["set", f"{auth}.server_address", NAME],
        ["set", f"{auth}.bind_dn_template", BIND_DN_TEMPLATE],
        ["add-item", f"{auth}.allowed_groups", STUDENTS_GROUP],
        ["set", f"{auth}.tls_strategy", "before_bind"],
        ["set", f"{auth}.tls_kwargs.validate", "2"],  # ssl.CERT_REQUIRED
        ["set", f"{auth}.tls_kwargs.ca_certs_file", CAMPUS_CA],
        ["add-item", "users.banned", LENA.uid],
        ["set", "auth.type", "ldapauthenticator.LDAPAuthenticator"],
    ]


@pytest.fixture(scope="module")
def directory(hub: InstalledHub, session_containers: ContainerFactory, image: str):
    network = Network()
    server = LdapServer(session_containers, image, network, [LARA, LENA, LOU])
    try:
        with auth_switched(hub, network, settings(), people=[p.uid for p in (LARA, LENA, LOU)],
                           files={CAMPUS_CA: server.ca.cert_pem}):
            yield server
    finally:
        server.container.remove()
        network.remove()


def test_a_student_in_the_group_logs_in_with_her_directory_password_and_runs_code(hub, directory):
    lara = hub.client()
    assert "password" in lara.get("hub/login").text  # LDAP uses the hub's own login form
    assert lara.login(LARA.uid, LARA.password)
    lara.start_server()
    assert lara.run_code("import getpass; print(getpass.getuser())") == "jupyter-lara"


def test_a_wrong_password_or_an_unknown_name_is_refused(hub, directory):
    assert not hub.client().login(LARA.uid, "not-her-password")
    assert not hub.client().login("nobody", LARA.password)


def test_a_directory_user_outside_allowed_groups_is_refused(hub, directory):
    assert directory.bind_works(f"uid={LOU.uid},{PEOPLE}", LOU.password)  # the directory takes her password
    assert not hub.client().login(LOU.uid, LOU.password)


def test_users_banned_beats_the_group(hub, directory):
    assert directory.bind_works(f"uid={LENA.uid},{PEOPLE}", LENA.password)
    assert not hub.client().login(LENA.uid, LENA.password)


def test_the_hub_refuses_a_directory_whose_certificate_its_ca_did_not_sign(hub, directory):
    """The directory refuses binds without TLS, so every login above went over StartTLS; here the
    hub is told to trust another CA, as if someone stood between it and the directory."""
    refusals = "journalctl -u jupyterhub -o cat --no-pager | grep -c 'LDAPStartTLSError.*CERTIFICATE_VERIFY_FAILED'"
    before = int(hub.sh(refusals, check=False).stdout.strip() or 0)
    hub.container.write_file(CAMPUS_CA, TestCA("an impostor's CA").cert_pem)
    try:
        assert not hub.client().login(LARA.uid, LARA.password)
    finally:
        hub.container.write_file(CAMPUS_CA, directory.ca.cert_pem)
    assert int(hub.sh(refusals, check=False).stdout.strip() or 0) == before + 1
    assert hub.client().login(LARA.uid, LARA.password)
