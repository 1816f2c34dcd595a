"""The installer's steps, run by installer/bootstrap.py inside the hub environment.

Each `ensure_*` step is idempotent: running the installer again converges on
the same machine state, which is how upgrades work.
"""
