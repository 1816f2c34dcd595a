"""The command line, `tljh-config` and `tljh-lite`: an entry point each (`tljh_config`, `tljh_lite`) that
lists its subcommands, one small module per subcommand or group, and `framework`, the one place for errors."""
