"""Checking a launch's id_token against the LMS's keys (served over HTTPS on loopback by a test
CA's certificate), each refusal in one line; the key set fetched once and cached with a bound;
the tool's own key set."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt  # PyJWT: in the test extra (pip install -e '.[test]'), as in the hub's own environment
import pytest
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from jwt.algorithms import RSAAlgorithm  # noqa: E402

from testca import TestCA  # noqa: E402
from tljh_lite.auth.lti.claims import LaunchRefused  # noqa: E402
from tljh_lite.auth.lti.tokens import LmsKeys, check_id_token  # noqa: E402
from tljh_lite.auth.lti.toolkey import public_jwks, tool_key  # noqa: E402

ISSUER = "https://lms.example.edu"
CLIENT = "tool-1"
LMS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class KeySetServer:
    """The LMS's JWKS endpoint on 127.0.0.1 over HTTPS; counts the fetches."""

    def __init__(self, tmp_path):
        ca = TestCA("LMS test CA")
        leaf = ca.issue("localhost")
        (tmp_path / "leaf.pem").write_text(leaf.cert_pem)
        (tmp_path / "leaf.key").write_text(leaf.key_pem)
        jwk = json.loads(RSAAlgorithm.to_jwk(LMS_KEY.public_key())) | {"kid": "lms-1", "alg": "RS256", "use": "sig"}
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                body = json.dumps({"keys": [jwk]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}/api/lti/security/jwks"
        self.client_context = ssl.create_default_context(cadata=ca.cert_pem)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def keys(self) -> LmsKeys:
        return LmsKeys(self.url, ssl_context=self.client_context)


@pytest.fixture
def lms(tmp_path):
    server = KeySetServer(tmp_path)
    yield server
    server.server.shutdown()


def token(key=LMS_KEY, kid="lms-1", algorithm="RS256", drop=(), **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": CLIENT, "sub": "42", "iat": now, "exp": now + 300, "nonce": "n-1", **claims}
    return jwt.encode({k: v for k, v in body.items() if k not in drop}, key, algorithm=algorithm, headers={"kid": kid})


def check(lms, encoded, **kwargs):
    return check_id_token(encoded, keys=kwargs.pop("keys", None) or lms.keys(), issuer=ISSUER, client_ids={CLIENT},
                          **kwargs)


def test_a_launch_signed_by_the_lms_for_this_hub_passes(lms):
    assert check(lms, token())["sub"] == "42"


@pytest.mark.parametrize("make, status, words", [
    (lambda: token(key=OTHER_KEY), 400,
     "the launch's signature does not match the LMS's keys: a forged or altered launch"),
    (lambda: token(key=OTHER_KEY, kid="made-up"), 400, "the launch is not signed by any key of the LMS"),
    (lambda: token(exp=int(time.time()) - 60, iat=int(time.time()) - 400), 400, "the launch expired at "),
    (lambda: token(aud="another-tool"), 401, "the launch is for another tool (client id 'another-tool'; this hub is tool-1)"),
    (lambda: token(iss="https://other-lms.example.com"), 400,
     "the launch comes from another LMS (issuer 'https://other-lms.example.com'; this hub trusts 'https://lms.example.edu')"),
    (lambda: token(drop=("nonce",)), 400, "the id_token has no 'nonce' claim"),
    (lambda: token(iat=int(time.time()) + 3600), 400, "dated in the future"),
    (lambda: token(iat=int(time.time()) - 3600, exp=int(time.time()) + 60), 400, "more than 10 minutes ago"),
    (lambda: "not-a-token", 400, "the id_token is not a signed token"),
])
def test_refusals_say_what_was_wrong_in_one_line(lms, make, status, words):
    with pytest.raises(LaunchRefused) as refused:
        check(lms, make())
    assert refused.value.status == status
    assert refused.value.message.startswith("LTI launch refused: ") and words in refused.value.message
    assert "\n" not in refused.value.message


def test_an_unsigned_or_symmetric_token_is_refused(lms):
    """The classic forgeries: alg none, and HS256 keyed with the LMS's public key."""
    now = int(time.time())
    body = {"iss": ISSUER, "aud": CLIENT, "sub": "42", "iat": now, "exp": now + 300, "nonce": "n"}
    unsigned = jwt.encode(body, None, algorithm="none", headers={"kid": "lms-1"})
    public_pem = LMS_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "kid": "lms-1", "typ": "JWT"}).encode())
    payload = jwt.utils.base64url_encode(json.dumps(body).encode())
    signature = jwt.utils.base64url_encode(hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest())
    symmetric = (header + b"." + payload + b"." + signature).decode()
    for forged in (unsigned, symmetric):
        with pytest.raises(LaunchRefused, match="signed with an algorithm the hub does not accept"):
            check(lms, forged)


def test_the_key_set_is_fetched_once_for_a_class_and_unknown_keys_do_not_hammer_the_lms(lms):
    keys = lms.keys()
    for _ in range(30):  # a class launching at once
        check(lms, token(), keys=keys)
    assert lms.fetches == 1
    for _ in range(5):  # forged tokens naming keys the LMS does not have
        with pytest.raises(LaunchRefused, match="not signed by any key"):
            check(lms, token(key=OTHER_KEY, kid="made-up"), keys=keys)
    assert lms.fetches == 1  # within the cooldown: not asked again


def test_the_key_set_must_come_over_https():
    with pytest.raises(ValueError, match="over https"):
        LmsKeys("http://lms.example.edu/jwks")


def test_an_lms_that_cannot_be_reached_is_said_so(tmp_path):
    keys = LmsKeys("https://127.0.0.1:9/jwks")  # discard port: nothing listens
    with pytest.raises(LaunchRefused) as refused:
        check_id_token(token(), keys=keys, issuer=ISSUER, client_ids={CLIENT})
    assert refused.value.status == 502
    assert "the hub cannot fetch the LMS's keys from https://127.0.0.1:9/jwks" in refused.value.message


def test_the_tool_key_is_made_once_root_only_and_only_its_public_half_is_served(tmp_path):
    path = tmp_path / "state" / "lti13-tool-key.pem"
    first = public_jwks(tool_key(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_jwks(tool_key(path)) == first  # the same key at the next start
    (key,) = first["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and len(key["kid"]) == 16
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # nothing private
    signed = jwt.encode({"x": 1}, tool_key(path), algorithm="RS256")
    assert jwt.decode(signed, jwt.PyJWK(key).key, algorithms=["RS256"]) == {"x": 1}
