"""The config layer: config.yaml on disk, its schema, edits, and defaults."""
