"""JupyterHub's side: config.yaml mapped to its settings (`settings`), what its
jupyterhub_config.py does at every start (`startup`, `jupyterhub_config.py`), the spawner, and its unit."""
