"""Checking a launch's id_token: signed by one of the LMS's keys, for this hub, from this LMS, fresh.

The LMS's public keys (its JWKS) are fetched over HTTPS only and kept: the key
set for 5 minutes, at most 16 keys by id, and an unknown key id makes the hub
ask the LMS again at most every 30 seconds (PyJWT's PyJWKClient, made for
this). ltiauthenticator 1.6.3 fetches the key set anew for every launch, so a
class launching at once would ask the LMS once per student.

Every refusal says what was wrong in one line (`LaunchRefused`), with what the
token claimed where that helps the professor (its issuer, its client id).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import jwt

from .claims import LaunchRefused

KEYS_LIFESPAN = 300  # seconds a fetched key set is trusted before it is fetched again
MAX_KEYS = 16
REFETCH_COOLDOWN = 30  # seconds between fetches forced by an unknown key id
FETCH_TIMEOUT = 10
MAX_AGE = 600  # an id_token issued longer ago than this is refused, whatever its expiry (as ltiauthenticator)
ALGORITHMS = ("RS256",)
REQUIRED = ("iss", "aud", "exp", "iat", "nonce", "sub")


class LmsKeys:
    """The LMS's signing keys from its JWKS URL (https only), cached with a bound."""

    def __init__(self, url: str, *, ssl_context=None):
        if urlsplit(url).scheme != "https":
            raise ValueError(f"the LMS's key set must be fetched over https, not from {url!r}")
        self.url = url
        self._client = jwt.PyJWKClient(url, cache_keys=True, max_cached_keys=MAX_KEYS, cache_jwk_set=True,
                                       lifespan=KEYS_LIFESPAN, timeout=FETCH_TIMEOUT, ssl_context=ssl_context,
                                       cooldown_duration=REFETCH_COOLDOWN)

    def key_for(self, token: str) -> Any:
        try:
            return self._client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as e:
            raise LaunchRefused(f"LTI launch refused: the hub cannot fetch the LMS's keys from {self.url} ({e}); "
                                "tell your teacher", status=502) from e
        except (jwt.PyJWKClientError, jwt.PyJWKSetError) as e:
            raise LaunchRefused("LTI launch refused: the launch is not signed by any key of the LMS "
                                f"(keys at {self.url}): a forged launch, or the wrong key set URL", status=400) from e
        except jwt.DecodeError as e:
            raise LaunchRefused(f"LTI launch refused: the id_token is not a signed token ({e})", status=400) from e


def check_id_token(token: str, *, keys: LmsKeys, issuer: str, client_ids: Iterable[str],
                   algorithms: Iterable[str] = ALGORITHMS, leeway: float = 0, max_age: float = MAX_AGE,
                   clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """The token's claims, or LaunchRefused saying why not."""
    client_ids = sorted(client_ids)
    key = keys.key_for(token)
    try:
        claims = jwt.decode(token, key, algorithms=list(algorithms), audience=client_ids, issuer=issuer,
                            leeway=leeway, options={"require": list(REQUIRED)})
    except jwt.InvalidSignatureError as e:
        raise _refused("the launch's signature does not match the LMS's keys: a forged or altered launch") from e
    except jwt.ExpiredSignatureError as e:
        raise _refused(f"the launch expired at {_when(_unverified(token).get('exp'))}; launch again from the "
                       "course page (or check this machine's clock: timedatectl)") from e
    except jwt.ImmatureSignatureError as e:
        raise _refused("the launch is dated in the future: check this machine's clock (timedatectl)") from e
    except jwt.InvalidAudienceError as e:
        raise _refused(f"the launch is for another tool (client id {_audience(token)}; this hub is "
                       f"{', '.join(client_ids)})", status=401) from e
    except jwt.InvalidIssuerError as e:
        raise _refused(f"the launch comes from another LMS (issuer {_unverified(token).get('iss')!r}; this hub "
                       f"trusts {issuer!r})") from e
    except jwt.MissingRequiredClaimError as e:
        raise _refused(f"the id_token has no '{e.claim}' claim") from e
    except jwt.InvalidAlgorithmError as e:
        raise _refused(f"the id_token is signed with an algorithm the hub does not accept "
                       f"(it accepts {', '.join(algorithms)})") from e
    except jwt.PyJWTError as e:
        raise _refused(f"the id_token is not valid ({e})") from e
    if claims["iat"] < clock() - max_age - leeway:
        raise _refused(f"the launch was issued at {_when(claims['iat'])}, more than {max_age // 60:g} minutes ago; "
                       "launch again from the course page")
    return claims


def _refused(why: str, status: int = 400) -> LaunchRefused:
    return LaunchRefused(f"LTI launch refused: {why}", status=status)


def _unverified(token: str) -> dict[str, Any]:
    """Claims of a token that failed its checks, only to say what it claimed."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}


def _audience(token: str) -> str:
    aud = _unverified(token).get("aud")
    return ", ".join(aud) if isinstance(aud, list) else repr(aud)


def _when(timestamp: Any) -> str:
    try:
        return dt.datetime.fromtimestamp(float(timestamp), dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError):
        return "an unknown time"
