"""HTTPS: certificates from an ACME server (certbot, http-01 over a webroot) or
the professor's own files, the small unit that owns port 80, renewal, status.

How the pieces fit (docs/https.md has the professor's side):

- `certificates`: read and check PEM files (key and chain match, dates, names).
- `acme`: the certbot commands, and its failures turned into one-line errors.
- `files`: which key and certificate the proxy serves for a config.
- `prepare`: before the proxy starts with HTTPS, a certificate it can serve,
  obtained when needed and never otherwise (rate limits).
- `responder`: the port-80 server: ACME challenges from the webroot, a 301 to
  https for everything else.
- `units`: the systemd units of the responder and the renewal timer.
- `renew`: what the timer runs; `served`: the certificate the proxy serves now;
  `attempts`: the record of the last attempt; `status`: what status commands show.
"""
