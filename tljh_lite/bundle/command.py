"""The options of `bundle create`, shared by its two entry points: `tljh-lite bundle create` on a
hub, and `python3 -m tljh_lite.bundle create` in a checkout on any connected Debian or Ubuntu machine."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Callable

from ..runner import Runner
from .create import BundleRequest, create
from .targets import ARCHITECTURES, RELEASES

DESCRIPTION = (
    "Make one file holding everything an install needs (bootstrap, uv, the wheels of both environments, the "
    "plugins, the Debian packages with their dependencies, and a manifest with sha256 sums), for a server with no "
    "network. Run it on any connected Debian or Ubuntu machine; it honours http_proxy/https_proxy. docs/offline.md"
)


def add_create_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--release", required=True, choices=sorted(RELEASES),
                        help="the Debian release of the server (its packages and Python are resolved for it)")
    parser.add_argument("--out", metavar="FILE", type=Path,
                        help="where to write the bundle (default: tljh-lite-VERSION-RELEASE-ARCH.tar here)")
    parser.add_argument("--arch", dest="architecture", default="amd64", choices=sorted(ARCHITECTURES),
                        help="the server's architecture (dpkg --print-architecture; default: amd64)")
    parser.add_argument("--plugin", metavar="SPEC", dest="plugins", nargs="+", action="extend", default=[],
                        help="a plugin to bundle: a requirement, a folder or a wheel (repeatable); an install from "
                        "the bundle installs it")
    parser.add_argument("--user-requirements", metavar="FILE", type=Path,
                        help="a requirements.txt for the students' environment, bundled and installed with it")
    parser.add_argument("--source", metavar="DIR", type=Path,
                        help="the checkout of tljh-lite to bundle (default: the one this command runs from)")
    parser.add_argument("--index-url", metavar="URL",
                        help="a PyPI mirror to download from (default: https://pypi.org/simple)")
    parser.add_argument("--cache", metavar="DIR", type=Path,
                        help="where downloads are kept for the next bundle (default: ~/.cache/tljh-lite/bundle)")


def run_create(args: argparse.Namespace, say: Callable[[str], None] = print) -> int:
    request = BundleRequest(
        release=args.release, out=args.out, architecture=args.architecture, plugins=list(dict.fromkeys(args.plugins)),
        user_requirements=args.user_requirements, source=args.source, index_url=args.index_url, cache=args.cache,
    )
    made = create(request, Runner(), os.environ, say)
    say(made.summary())
    return 0
