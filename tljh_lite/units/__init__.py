"""The systemd units tljh-lite writes: one catalog of them (`catalog`), and what writes,
enables and restarts them and waits for the hub (`manager`)."""
