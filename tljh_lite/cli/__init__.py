"""`tljh-config`: one small module per group of subcommands, one place for errors."""
