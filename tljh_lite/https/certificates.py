"""Reading certificate and key files, and the checks the proxy cannot do for us.

configurable-http-proxy reads its key and certificate once, at start, and
dies on a bad file; a professor then sees a dead hub, not a reason. Every
check here runs before anything is restarted, and each failure names the file,
what is wrong with it, and what to do (the `cryptography` package does the
parsing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from ..errors import TljhError


# A certificate issued a moment ago by a CA whose clock runs a little ahead is fine.
CLOCK_SKEW = dt.timedelta(minutes=5)


class CertificateError(TljhError):
    """A key or certificate file that the proxy cannot (or should not) serve."""


@dataclass(frozen=True)
class CertificateInfo:
    path: Path
    subject: str
    issuer: str
    names: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint: str  # sha256 of the leaf, hex

    def days_left(self, now: dt.datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400

    def covers(self, domain: str) -> bool:
        return any(name_matches(name, domain) for name in self.names)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def name_matches(pattern: str, domain: str) -> bool:
    """A certificate name matches a domain: exactly, or as a one-label wildcard (RFC 6125)."""
    pattern, domain = pattern.lower().rstrip("."), domain.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = domain.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == domain


def _read(path: Path, what: str, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CertificateError(
            f"the {what} file {path} does not exist",
            f"copy it there, or point {setting} at the right file" if setting else "run: sudo tljh-config reload proxy",
        ) from None
    except IsADirectoryError:
        raise CertificateError(f"the {what} file {path} is a directory", f"point {setting or 'the setting'} at a file") from None
    except PermissionError:
        raise CertificateError(f"cannot read the {what} file {path}", "run the command with sudo") from None


def load_chain(path: Path, setting: str = "") -> list[x509.Certificate]:
    data = _read(path, "certificate", setting)
    if b"-----BEGIN CERTIFICATE-----" not in data:
        hint = "it must be PEM text starting with -----BEGIN CERTIFICATE-----"
        if data[:1] == b"\x30":  # DER: an ASN.1 SEQUENCE
            hint = f"it looks like binary DER; convert it with: openssl x509 -inform der -in {path} -out {path}.pem"
        elif b"PRIVATE KEY-----" in data:
            hint = "it holds a private key, not a certificate: are https.tls.key and https.tls.cert swapped?"
        raise CertificateError(f"{path} is not a PEM certificate", hint)
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as e:
        raise CertificateError(f"{path} holds a damaged PEM certificate ({e})", "copy the file again from where it came from") from None


def load_key(path: Path, setting: str = ""):
    data = _read(path, "key", setting)
    if b"PRIVATE KEY-----" not in data:
        hint = "it must be PEM text starting with -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY)"
        if b"-----BEGIN CERTIFICATE-----" in data:
            hint = "it holds a certificate, not a key: are https.tls.key and https.tls.cert swapped?"
        raise CertificateError(f"{path} is not a PEM private key", hint)
    if b"ENCRYPTED" in data:
        raise _encrypted(path)
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:  # "Password was not given but private key is encrypted"
        raise _encrypted(path) from None
    except (ValueError, UnsupportedAlgorithm) as e:
        raise CertificateError(f"{path} holds a private key that cannot be read ({e})", "copy the file again, or make a new key") from None


def _encrypted(path: Path) -> CertificateError:
    return CertificateError(
        f"the key {path} is protected by a passphrase, which the proxy cannot type at every start",
        f"write an unprotected copy, kept root-only: sudo openssl pkey -in {path} -out {path}.nopass "
        f"&& sudo chmod 600 {path}.nopass, then set https.tls.key to it",
    )


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def describe(path: Path, chain: Sequence[x509.Certificate]) -> CertificateInfo:
    leaf = chain[0]
    try:
        san = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    return CertificateInfo(
        path=path,
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        names=names,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint=hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest(),
    )


def inspect(cert_path: Path, setting: str = "") -> CertificateInfo:
    """What a certificate file holds (its first certificate is the server's)."""
    return describe(cert_path, load_chain(cert_path, setting))


def check_pair(
    key_path: Path,
    cert_path: Path,
    domains: Sequence[str] = (),
    now: dt.datetime | None = None,
    settings: tuple[str, str] = ("https.tls.key", "https.tls.cert"),
) -> CertificateInfo:
    """Everything the proxy needs from a key and certificate, checked; the certificate's details."""
    now = now or now_utc()
    chain = load_chain(cert_path, settings[1])
    key = load_key(key_path, settings[0])
    info = describe(cert_path, chain)
    if _public_bytes(key.public_key()) != _public_bytes(chain[0].public_key()):
        raise CertificateError(
            f"the key {key_path} does not belong to the certificate {cert_path}",
            "use the key the certificate was made for (compare: openssl x509 -noout -pubkey -in CERT "
            "and openssl pkey -pubout -in KEY)",
        )
    if info.not_after <= now:
        raise CertificateError(
            f"the certificate {cert_path} expired on {info.not_after:%Y-%m-%d %H:%M} UTC",
            "get a renewed certificate from its issuer and copy it over the old one",
        )
    if info.not_before > now + CLOCK_SKEW:
        raise CertificateError(
            f"the certificate {cert_path} is not valid before {info.not_before:%Y-%m-%d %H:%M} UTC",
            "check this machine's clock (timedatectl), or wait until then",
        )
    uncovered = [d for d in domains if not info.covers(d)]
    if uncovered:
        raise CertificateError(
            f"the certificate {cert_path} is not for {', '.join(uncovered)} "
            f"(it is for {', '.join(info.names) or info.subject})",
            "use a certificate made for that name, or fix https.letsencrypt.domains",
        )
    return info
