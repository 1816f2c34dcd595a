"""How this machine downloads packages: through a campus web proxy, from a PyPI mirror, or not at all.

- `proxy`: the http_proxy/https_proxy/no_proxy settings, checked and made whole
  (a scheme, the loopback addresses in no_proxy), and without their credentials
  for students.
- `settings`: the saved settings, `/opt/tljh/state/downloads.env` (root only):
  the proxy bootstrap was given, the mirror (config.yaml's `pip.index_url`),
  and pip's patience when the hub was installed from a bundle. The hub's and the
  renewal's units read it as their environment; commands that download apply it.
- `pipconf`: the mirror in both environments' pip.conf, for `pip install` anywhere.

installer/bootstrap.py keeps its own copy of the few rules it needs before the
package exists (reading the saved file on a re-run, the proxy rules);
tests/test_bootstrap_shared.py keeps both equal. docs/offline.md is the guide.
"""
