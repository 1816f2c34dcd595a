"""HTTPS: certificates from an ACME server (certbot, http-01 over a webroot) or
the professor's own files, the small unit that owns port 80, renewal, status.

How the pieces fit (docs/https.md has the professor's side):

- `certificates`: read and check PEM files (key and chain match, dates, names).
- `acme`: the certbot commands, and its failures turned into one-line errors.
- `tls`: decide what the proxy serves for a config; obtain a certificate when
  needed, never otherwise (rate limits).
- `responder`: the port-80 server: ACME challenges from the webroot, a 301 to
  https for everything else.
- `units`: systemd units for the responder and the renewal timer.
- `renew`: what the timer runs; `status`: the record of the last attempt.
"""
