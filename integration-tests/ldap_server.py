"""A real LDAP directory for the hub to log people in against: Debian's slapd, in a
container of its own on a docker network, reached by name (ldap.test) over
StartTLS with a certificate from a CA of the tests' own, as a campus directory
would be. Binds without TLS are refused (olcSecurity), so a login proves the
hub's connection is encrypted.

The image (the test image plus slapd, installed once with apt) is cached by
`containers.ensure_derived_image`; the directory is seeded at every start.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import dataclass

from containers import ContainerFactory, Network
from containers import ensure_derived_image
from engine import HarnessError
from testca import TestCA

NAME = "ldap.test"
SUFFIX = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "directory-admin-password"  # only ever inside the test container
PEOPLE = f"ou=people,{SUFFIX}"
STUDENTS_GROUP = f"cn=students,ou=groups,{SUFFIX}"
BIND_DN_TEMPLATE = f"uid={{username}},{PEOPLE}"
CERT_DIR = "/etc/ldap/tls"

BUILD = f"""set -e
cat <<'EOF' | debconf-set-selections
slapd slapd/domain string example.org
slapd shared/organization string Example University
slapd slapd/password1 password {ADMIN_PASSWORD}
slapd slapd/password2 password {ADMIN_PASSWORD}
slapd slapd/no_configuration boolean false
EOF
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slapd ldap-utils
rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
"""


@dataclass(frozen=True)
class Person:
    uid: str
    password: str
    in_students: bool


def ssha(password: str) -> str:
    """An {SSHA} userPassword, as slappasswd writes it (the directory never holds the plain password)."""
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def seed_ldif(people: list[Person]) -> str:
    entries = [
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for p in people:
        entries.append(
            f"dn: uid={p.uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {p.uid}\n"
            f"cn: {p.uid.title()}\nsn: {p.uid.title()}\nmail: {p.uid}@example.org\nuserPassword: {ssha(p.password)}\n"
        )
    # groupOfNames: ldapauthenticator 2's default group_search_filter matches member=<user's DN>.
    members = "".join(f"member: uid={p.uid},{PEOPLE}\n" for p in people if p.in_students)
    entries.append(f"dn: {STUDENTS_GROUP}\nobjectClass: groupOfNames\ncn: students\n{members}")
    return "\n".join(entries)


TLS_LDIF = f"""dn: cn=config
changetype: modify
replace: olcTLSCertificateFile
olcTLSCertificateFile: {CERT_DIR}/cert.pem
-
replace: olcTLSCertificateKeyFile
olcTLSCertificateKeyFile: {CERT_DIR}/key.pem
-
replace: olcSecurity
olcSecurity: simple_bind=128
"""


class LdapServer:
    """slapd with `people` in it, its listener certificate issued by `ca` for ldap.test."""

    def __init__(self, factory: ContainerFactory, base_image: str, network: Network,
                 people: list[Person]):
        self.ca = TestCA("tljh-lite test campus CA")
        listener = self.ca.issue(NAME)
        image = ensure_derived_image(f"slapd-{base_image.rpartition(':')[2]}", base_image, BUILD)
        self.container = factory.start(image, systemd=False, network=network.name, aliases=[NAME])
        c = self.container
        c.write_file(f"{CERT_DIR}/cert.pem", listener.cert_pem)
        c.write_file(f"{CERT_DIR}/key.pem", listener.key_pem, mode=0o600)
        c.exec(f"chown -R openldap:openldap {CERT_DIR} && install -d -o openldap -g openldap /run/slapd")
        c.exec("slapd -h 'ldap:/// ldapi:///' -u openldap -g openldap")
        self._wait()
        # Seeded before TLS is required: the local socket's strength is below simple_bind=128.
        c.exec(["ldapadd", "-x", "-H", "ldapi:///", "-D", ADMIN_DN, "-w", ADMIN_PASSWORD], input=seed_ldif(people))
        c.exec(["ldapmodify", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"], input=TLS_LDIF)

    def _wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.container.exec("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -b cn=config -s base dn",
                                  check=False).exit_code != 0:
            if time.monotonic() > deadline:
                raise HarnessError(f"slapd did not start in {self.container.name}")
            time.sleep(0.2)

    def bind_works(self, dn: str, password: str) -> bool:
        """A simple bind over StartTLS from inside the server's container (trusting the test CA)."""
        self.container.write_file("/etc/ldap/test-ca.pem", self.ca.cert_pem)
        result = self.container.exec(
            ["ldapwhoami", "-x", "-ZZ", "-H", f"ldap://{NAME}", "-D", dn, "-w", password],
            env={"LDAPTLS_CACERT": "/etc/ldap/test-ca.pem"}, check=False)
        return result.exit_code == 0
