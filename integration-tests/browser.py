"""Debian's Chromium driven by Playwright, for the tests that use a real browser
(test_browser.py, test_https.py, test_status_usage.py): the flags it needs here,
where screenshots go, and logging in to run a cell in JupyterLab."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from installed import ADMIN, ADMIN_PASSWORD

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# Flags from shared/ENVIRONMENT.md: no sandbox as root, no network chatter.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
               "source": "print('answer:', 6 * 7)"}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def put_notebook(admin, name: str) -> None:
    """Through the contents API of a logged-in admin's HubClient."""
    admin.start_server()
    admin.open_server()
    prefix = f"/user/{ADMIN}/"
    response = admin.session.put(
        admin.url(f"user/{ADMIN}/api/contents/{name}"),
        json={"type": "notebook", "content": NOTEBOOK},
        headers={"X-XSRFToken": admin._xsrf(prefix)},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text


def trusting_profile(home: Path, ca_file: Path) -> None:
    """A browser profile (NSS database in $HOME/.pki/nssdb) that trusts `ca_file` as a root, as a
    student's machine trusts public CAs: Chromium then checks the hub's chain for real."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "test root", "-i", str(ca_file)],
                   check=True)


def run_a_cell_in_chromium(admin, url: str, tag: str, trust: Path | None = None, host_rules: str | None = None) -> None:
    """Log in as the admin through the form, open a notebook in JupyterLab, run its cell.

    `trust`: a CA file the browser trusts (for https); `host_rules`: Chromium's
    --host-resolver-rules (to reach a test domain name on 127.0.0.1).
    """
    put_notebook(admin, "browser-test.ipynb")
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"jupyterlab-{tag}.png"
    args = CHROMIUM_ARGS + ([f"--host-resolver-rules={host_rules}"] if host_rules else [])
    with tempfile.TemporaryDirectory() as home, sync_playwright() as p:
        if trust:
            trusting_profile(Path(home), trust)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args, env={**os.environ, "HOME": home})
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url + "hub/login")
            page.fill("input[name=username]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_url(f"**/user/{ADMIN}/**", timeout=60_000)

            page.goto(url + f"user/{ADMIN}/lab/tree/browser-test.ipynb")
            try:
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                # Wait for the kernel before running: the status bar says Idle.
                page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=90_000)
                page.click(".jp-Notebook .jp-Cell .cm-content")
                page.keyboard.press("Shift+Enter")
                output = page.wait_for_selector(".jp-OutputArea-output:has-text('answer: 42')", timeout=60_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / f"jupyterlab-{tag}-failed.png"))
                raise
            assert "answer: 42" in output.inner_text()
            page.screenshot(path=str(screenshot))
            # the news pop-up is switched off for students (overrides.json in the user venv)
            assert page.locator("text=Would you like to get notified").count() == 0
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
