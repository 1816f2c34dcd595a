"""Key and certificate checks: every way a file can be wrong gets its own one-line reason."""

from __future__ import annotations

import datetime as dt

import pytest

from testca import TestCA, key_pem
from tljh_lite.https.certificates import CertificateError, check_pair, inspect, name_matches

CA = TestCA()


def files(tmp_path, issued, key_text=None, cert_text=None):
    key, cert = tmp_path / "hub.key", tmp_path / "hub.crt"
    key.write_text(key_text if key_text is not None else issued.key_pem)
    cert.write_text(cert_text if cert_text is not None else issued.cert_pem + CA.cert_pem)  # a full chain
    return key, cert


def test_a_good_pair_is_described(tmp_path):
    issued = CA.issue("hub.uni.example", "www.uni.example")
    info = check_pair(*files(tmp_path, issued), domains=["hub.uni.example"])
    assert info.names == ("hub.uni.example", "www.uni.example")
    assert info.issuer == "CN=tljh-lite test CA"
    assert 89 < info.days_left(dt.datetime.now(dt.timezone.utc)) <= 90
    assert inspect(tmp_path / "hub.crt").fingerprint == info.fingerprint


@pytest.mark.parametrize(
    "case, phrase",
    [
        ("missing", "does not exist"),
        ("junk", "is not a PEM certificate"),
        ("der", "looks like binary DER"),
        ("swapped", "are https.tls.key and https.tls.cert swapped?"),
        ("mismatch", "does not belong to the certificate"),
        ("encrypted", "protected by a passphrase"),
        ("expired", "expired on"),
        ("future", "is not valid before"),
        ("other name", "is not for hub.uni.example"),
    ],
)
def test_every_bad_file_is_refused_with_its_reason(tmp_path, case, phrase):
    issued = CA.issue("hub.uni.example")
    key, cert = files(tmp_path, issued)
    if case == "missing":
        key = tmp_path / "nope.key"
    elif case == "junk":
        cert.write_text("hello\n")
    elif case == "der":
        from cryptography.hazmat.primitives.serialization import Encoding

        cert.write_bytes(issued.cert.public_bytes(Encoding.DER))
    elif case == "swapped":
        key, cert = cert, key
    elif case == "mismatch":
        key.write_text(CA.issue("hub.uni.example").key_pem)
    elif case == "encrypted":
        key.write_text(key_pem(issued.key, b"secret"))
    elif case == "expired":
        key, cert = files(tmp_path, CA.issue("hub.uni.example", days=(-30, -1)))
    elif case == "future":
        key, cert = files(tmp_path, CA.issue("hub.uni.example", days=(2, 30)))
    elif case == "other name":
        key, cert = files(tmp_path, CA.issue("other.example"))
    with pytest.raises(CertificateError) as caught:
        check_pair(key, cert, domains=["hub.uni.example"])
    assert phrase in caught.value.one_line()
    assert "\n" not in caught.value.one_line()


def test_wildcards_cover_one_label():
    assert name_matches("*.uni.example", "hub.uni.example")
    assert not name_matches("*.uni.example", "a.hub.uni.example")
    assert not name_matches("*.uni.example", "uni.example")
    assert name_matches("Hub.Uni.Example.", "hub.uni.example")
