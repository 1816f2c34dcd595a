"""Entry point of `tljh-lite`: what a professor does besides editing config.yaml.

`tljh-config` stays TLJH's config editor; this command gathers the rest
(`https`, `backup`, `users`, `export`, `status`, `report`, `lti`, `bundle`), and
installed plugins add theirs (`tljh_lite_cli_commands`, e.g. `course` from
tljh-lite-courses). Errors are reported the same way as tljh-config's (see
`framework.run`).
"""

from __future__ import annotations

import sys
from typing import Sequence

from ..paths import Paths
from . import backup, bundle, export, https, lti, report, status, users
from .framework import ArgumentParser, make_parser, run

PROG = "tljh-lite"
SUBCOMMANDS = (https, backup, users, export, status, report, lti, bundle)


def build_parser(paths: Paths, plugin_commands=None) -> ArgumentParser:
    """The parser with tljh-lite's subcommands, then the installed plugins' (`plugin_commands`:
    [(plugin, module)]; by default asked of the installed plugins)."""
    if plugin_commands is None:
        from ..plugins import installed_plugins, per_plugin

        plugin_commands = [(plugin, module) for plugin, modules in per_plugin(installed_plugins(), "tljh_lite_cli_commands")
                           for module in modules or []]
    return make_parser(paths, PROG, "Look after this tljh-lite JupyterHub (its config: tljh-config).", SUBCOMMANDS,
                       plugin_commands=plugin_commands)


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, build_parser, argv)


if __name__ == "__main__":
    sys.exit(main())
