"""`python3 -m tljh_lite.bundle create ...`: bundles made from a checkout, where tljh-lite is not installed.

Errors are one line and exit 1, as `tljh-lite` reports them (cli/framework.py run).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import TljhError
from .command import DESCRIPTION, add_create_options, run_create

PROG = "python3 -m tljh_lite.bundle"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="Bundles for servers with no network (docs/offline.md).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="make a bundle", description=DESCRIPTION)
    add_create_options(create)
    args = parser.parse_args(argv)
    try:
        return run_create(args)
    except TljhError as e:
        print(f"{PROG}: error: {e.one_line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
