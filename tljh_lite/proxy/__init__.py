"""configurable-http-proxy: where it listens (`settings`) and its systemd unit (`unit`).

It runs as its own unit, so a hub restart never cuts students off; after any
proxy start, `tljh_lite.proxysync` asks the hub to put its routes back.
"""
