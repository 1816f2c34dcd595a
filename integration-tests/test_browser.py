"""A real browser: Debian's Chromium, driven by Playwright, logs in, opens
JupyterLab, runs a cell and sees its output. The screenshot is kept in
integration-tests/artifacts/ as evidence."""

from __future__ import annotations

from browser import run_a_cell_in_chromium


def test_a_browser_logs_in_and_runs_a_cell_in_jupyterlab(hub, release):
    run_a_cell_in_chromium(hub.admin(), hub.url, release)
