"""Entry point of `tljh-lite`: what a professor does besides editing config.yaml.

`tljh-config` stays TLJH's config editor; this command gathers the rest
(`https`, `backup`, `users`, `export`, `status`, `report`, `lti`). Errors are reported
the same way as tljh-config's (see `framework.run`).
"""

from __future__ import annotations

import sys
from typing import Sequence

from ..paths import Paths
from . import backup, bundle, export, https, lti, report, status, users
from .framework import ArgumentParser, make_parser, run

PROG = "tljh-lite"
SUBCOMMANDS = (https, backup, users, export, status, report, lti, bundle)


def build_parser(paths: Paths) -> ArgumentParser:
    return make_parser(paths, PROG, "Look after this tljh-lite JupyterHub (its config: tljh-config).", SUBCOMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, build_parser, argv)


if __name__ == "__main__":
    sys.exit(main())
