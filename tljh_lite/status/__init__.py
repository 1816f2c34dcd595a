"""`tljh-lite status`: is tonight's hub healthy, on one screen (docs/status.md)."""
