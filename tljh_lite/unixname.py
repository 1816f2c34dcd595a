"""The unix account behind each hub user, and the record in it of whose account it is.

Short names keep TLJH's rule, `jupyter-<name>` (while that is under 26
characters), so TLJH's documentation and plugins apply. Longer names are cut
and given a hash, so that two of them do not share an account:

- TLJH, and tljh-lite up to 0.3, kept 26 characters, "-" and 5 hex digits of
  SHA-256: 20 bits, so anyone who may choose a name (Native signup, FirstUse
  with create_users, an OAuth provider's renamable logins) finds a second name
  for someone's account in seconds, and her server would run as the victim;
- now: "jupyter-", 7 characters of the name, "-" and 16 base32 characters of
  SHA-256 (80 bits, all 32 characters useradd takes): a second name for an
  account takes some 2^80 hashes, out of anyone's reach.

The two rules' long names never look alike ("-" at the 27th character or at
the 16th), and neither looks like a short name (32 characters, not under 26).

Every account tljh-lite makes records its hub user in its comment (GECOS)
field, `JupyterHub user NAME`, and a server is started only on an account
recorded for its own hub user (`users.accounts.claim_account`). Accounts made
before there were records keep their old-rule names: the installer records
each for the one hub user it can belong to (`users.adoption`).
"""

from __future__ import annotations

import base64
import hashlib
import pwd
from typing import Callable
from urllib.parse import quote, unquote

PREFIX = "jupyter-"
MAX_LENGTH = 32  # what useradd accepts on Debian and Ubuntu
_SHORT = 26  # TLJH's: a name under this many characters is kept whole
_TLJH_HASH = 5  # hex digits (20 bits) after the first 26 characters, TLJH's and tljh-lite 0.3's rule
_KEEP = 15  # "jupyter-" and 7 characters of the name, then "-" and the hash
_HASH = MAX_LENGTH - _KEEP - 1  # 16 base32 characters: 80 bits
RECORD = "JupyterHub user "  # the comment of every account tljh-lite makes, then the hub user's name
_SAFE = "@._+-"  # kept as they are in the record; anything else is %-encoded (GECOS forbids ':' and newlines)

Comment = Callable[[str], "str | None"]


def is_short(hub_username: str) -> bool:
    return len(PREFIX + hub_username) < _SHORT


def new_account_name(hub_username: str) -> str:
    """The name a new account gets: TLJH's for short names, a cut name and an 80-bit hash for long ones."""
    name = PREFIX + hub_username
    if is_short(hub_username):
        return name
    digest = base64.b32encode(hashlib.sha256(name.encode("utf-8")).digest()[:10]).decode().lower()
    return f"{name[:_KEEP]}-{digest[:_HASH]}"


def tljh_account_name(hub_username: str) -> str:
    """TLJH's rule, which tljh-lite also used up to 0.3: the name an existing account may have."""
    name = PREFIX + hub_username
    if is_short(hub_username):
        return name
    return f"{name[:_SHORT]}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:_TLJH_HASH]}"


def record_of(hub_username: str) -> str:
    """The comment (GECOS) that records an account as `hub_username`'s."""
    return RECORD + quote(hub_username, safe=_SAFE)


def recorded_user(comment: str) -> str | None:
    """The hub user an account's comment records, or None (an account made without a record)."""
    if not comment.startswith(RECORD):
        return None
    return unquote(comment[len(RECORD):]) or None


def account_comment(account: str) -> str | None:
    """The account's comment (GECOS) field, or None when there is no such account."""
    try:
        return pwd.getpwnam(account).pw_gecos
    except KeyError:
        return None


def unix_username(hub_username: str, comment_of: Comment = account_comment) -> str:
    """The unix account of a hub user (it need not exist yet).

    A long name keeps the account the old rule gave it when that account is
    recorded as hers, or recorded for nobody (then starting her server is
    refused until an admin says whose it is); otherwise it is the new rule's.
    """
    if is_short(hub_username):
        return PREFIX + hub_username
    old = tljh_account_name(hub_username)
    comment = comment_of(old)
    if comment is not None and recorded_user(comment) in (None, hub_username):
        return old
    return new_account_name(hub_username)
