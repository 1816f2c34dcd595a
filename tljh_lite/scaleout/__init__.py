"""Moving a hub to Zero to JupyterHub (Kubernetes): `tljh-lite export z2jh` and `tljh-lite export users`.

- values: config.yaml to the chart's values (through hub.settings.hub_settings), and what does not map;
- chart: the vendored chart schema and defaults, and the chart's own check (merge, then validate);
- image: the students' environment as a Dockerfile with exact pins;
- roster: users.json (users, admins, groups, FirstUse hashes);
- homes: per-user archives named for the chart's volumes;
- export: writes all of it into one private folder;
- hubapi: users and groups onto the new hub through JupyterHub's REST API.
"""
