"""Credentials inside URLs never reach a log, the terminal or the progress page.

`--plugin`, `--source` and `--user-requirements-txt-url` take URLs, and a
private index or repository puts its credentials in them
(`https://user:token@host/x`, `git+https://token@host/repo`). Everything the
installer logs or prints passes through `redact_urls`, which keeps the URL
and hides what sits between `://` and `@`: `https://***@host/x`.

installer/bootstrap.py runs before this package is installed and keeps its
own copy of the rule; tests/test_redact.py checks that both agree.
"""

from __future__ import annotations

import logging
import re

# scheme://USERINFO@ : USERINFO runs up to the last '@' before the host's end
# ('/', '?', '#', whitespace or a quote), so a password with an '@' in it is
# hidden whole.
URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s'\"<>]*)@")
HIDDEN = "***"


def _hide(match: re.Match) -> str:
    scheme, userinfo = match.group(1), match.group(2)
    # ssh authenticates with keys: `git+ssh://git@host/repo` names a user, not a secret.
    if scheme.lower().endswith("ssh://") and ":" not in userinfo:
        return match.group(0)
    return f"{scheme}{HIDDEN}@"


def redact_urls(text: str) -> str:
    """text with the credentials of every URL in it replaced by ***."""
    return URL_CREDENTIALS.sub(_hide, text)


class RedactingFormatter(logging.Formatter):
    """A log formatter whose every line, tracebacks included, goes through redact_urls."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_urls(super().format(record))
