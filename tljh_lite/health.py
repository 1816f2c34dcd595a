"""Waiting for the hub to answer, with a timeout and the evidence when it does not."""

from __future__ import annotations

import time
import warnings
from typing import Callable

import requests

from .errors import TljhError


class HubNotReady(TljhError):
    def __init__(self, message: str, hint: str, evidence: str = ""):
        super().__init__(message, hint)
        self.evidence = evidence


def hub_version(url: str, timeout: float = 5) -> str | None:
    """The version the hub API at url reports, or None if it does not answer."""
    # Through our own proxy on this machine, a certificate for the public name
    # cannot match 127.0.0.1; the check is about the hub answering, not TLS.
    local_tls = url.startswith("https://127.0.0.1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response = requests.get(url.rstrip("/") + "/hub/api", timeout=timeout, verify=not local_tls)
        if response.status_code == 200:
            return response.json().get("version")
    except (requests.RequestException, ValueError):
        return None
    return None


def wait_for_hub(
    url: str,
    timeout: float,
    *,
    failed: Callable[[], str | None] = lambda: None,
    evidence: Callable[[], str] = lambda: "",
    interval: float = 0.5,
) -> str:
    """Poll until the hub API at url answers; return its version.

    `failed()` is checked on every round and may return a reason to give up
    early (the unit crashed and systemd is restarting it).
    """
    deadline = time.monotonic() + timeout
    while True:
        version = hub_version(url)
        if version:
            return version
        reason = failed()
        if reason or time.monotonic() > deadline:
            raise HubNotReady(
                reason or f"the hub did not answer at {url}hub/api within {timeout:g} s",
                "see the journal lines below, or run: sudo journalctl -u jupyterhub -n 100",
                evidence(),
            )
        time.sleep(interval)
