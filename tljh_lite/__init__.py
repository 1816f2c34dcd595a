"""tljh-lite: a single-server JupyterHub installer compatible with The Littlest JupyterHub."""

__version__ = "0.3.0"
