"""TLJH's import path, so plugins written for The Littlest JupyterHub load unchanged.

The modules public TLJH plugins import, each a thin layer over tljh-lite's own
code: `hooks`, `user`, `utils`, `config`, `configurer`, `systemd`. `conda`
exists only to fail with one clear line: there is no conda here.
docs/plugins.md lists what differs from TLJH.
"""
