"""TLJH's import path, so plugins written for The Littlest JupyterHub load unchanged.

Only what plugins import lives here: `from tljh.hooks import hookimpl`.
"""
