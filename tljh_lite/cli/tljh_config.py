"""Entry point of `tljh-config`, TLJH's config editor: its subcommands, one module each."""

from __future__ import annotations

import sys
from typing import Sequence

from ..paths import Paths
from . import edit, plugins, reload, show, validate
from .framework import ArgumentParser, make_parser, run

PROG = "tljh-config"
SUBCOMMANDS = (show, edit, validate, reload, plugins)


def build_parser(paths: Paths) -> ArgumentParser:
    return make_parser(
        paths, PROG, "Show and change the configuration of this tljh-lite JupyterHub.", SUBCOMMANDS,
        epilog="Changes take effect after: sudo tljh-config reload",
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, build_parser, argv)


if __name__ == "__main__":
    sys.exit(main())
