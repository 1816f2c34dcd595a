"""The tool's own key pair, whose public half LMS registration forms ask for.

Canvas's developer key form wants a "Public JWK URL" (or the key itself), and
Moodle's tool form a "Public keyset" URL: they check with it what a tool signs
(deep linking answers, grade passback). This hub signs nothing yet, but the
forms need it, so the hub keeps an RSA key of its own (root only, 0600, made at
its first start with LTI) and serves the public half at /hub/lti13/jwks. The
private key never leaves the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ...files import atomic_write

KEY_SIZE = 2048


def tool_key(path: Path) -> rsa.RSAPrivateKey:
    """The tool's private key from `path`, made there first if missing."""
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, pem, mode=0o600)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA key")
    return key


def public_jwks(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The public half as a JSON Web Key Set, its key id derived from the key itself."""
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    jwk.update(kid=hashlib.sha256(der).hexdigest()[:16], alg="RS256", use="sig")
    return {"keys": [jwk]}
