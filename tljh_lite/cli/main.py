"""Entry point of `tljh-config`: parse arguments, run a subcommand, report errors.

This is the one place that turns exceptions into output and exit codes:
a TljhError becomes one line on stderr and exit 1, Ctrl-C says "cancelled",
and only --verbose shows a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from ..errors import TljhError
from ..paths import Paths
from . import edit, plugins, reload, show, validate
from .context import Context

PROG = "tljh-config"
SUBCOMMANDS = (show, edit, validate, reload, plugins)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        hint = f"see {self.prog} --help"
        if message.endswith("required: VALUE"):  # also what a value starting with '-' (a secret) gets
            hint = f"a value that starts with '-' goes after --: {self.prog} KEY -- VALUE; {hint}"
        self.exit(2, f"{self.prog.split()[0]}: error: {message}; {hint}\n")


def common_options(paths: Paths) -> ArgumentParser:
    """Options every subcommand of both commands takes, before or after its name."""
    common = ArgumentParser(add_help=False)
    # Accepted before or after the subcommand (TLJH's docs put it before).
    common.add_argument(
        "--config-path",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"the config file to use (default: {paths.config_file})",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    return common


def make_parser(paths: Paths, prog: str, description: str, subcommands, epilog: str | None = None) -> ArgumentParser:
    """A command with subcommands, each module adding its own parsers (shared by tljh-config and tljh-lite)."""
    common = common_options(paths)
    parser = ArgumentParser(prog=prog, parents=[common], description=description, epilog=epilog)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    commands.required = True
    for module in subcommands:
        module.add_parsers(commands, common)
    return parser


def add_group(commands, common, name: str, help: str, description: str):
    """A subcommand with actions of its own (`tljh-lite https status`); returns the actions' subparsers."""
    group = commands.add_parser(name, parents=[common], help=help, description=description)
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=ArgumentParser)
    actions.required = True
    return actions


def build_parser(paths: Paths) -> ArgumentParser:
    return make_parser(
        paths, PROG, "Show and change the configuration of this tljh-lite JupyterHub.", SUBCOMMANDS,
        epilog="Changes take effect after: sudo tljh-config reload",
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, build_parser, argv)


def run(prog: str, build: Callable[[Paths], ArgumentParser], argv: Sequence[str] | None) -> int:
    """Parse, run the subcommand, and turn every error into one line and an exit code."""
    paths = Paths.from_environ()
    args = build(paths).parse_args(argv)
    verbose = getattr(args, "verbose", False)
    context = Context(paths, getattr(args, "config_path", paths.config_file))
    try:
        return args.run(context, args)
    except TljhError as e:
        if verbose:
            raise
        print(f"{prog}: error: {e.one_line()}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: cancelled", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: say so in one line, traceback only on request
        if verbose:
            raise
        print(f"{prog}: unexpected error: {e!r}; run again with --verbose and report it", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
