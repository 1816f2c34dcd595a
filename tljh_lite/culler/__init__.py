"""The idle culler: jupyterhub-idle-culler, run one round at a time by a systemd timer.

TLJH runs the culler as a JupyterHub-managed service: a Python process (about
18 MiB) that sleeps between rounds all day. Here `tljh-cull-idle.timer` starts
one round every `services.cull.every` seconds (`once.py`) and nothing is left
running in between (docs/performance.md). What the culler does and its options
are unchanged: the same package, the same `services.cull.*` keys.
"""
