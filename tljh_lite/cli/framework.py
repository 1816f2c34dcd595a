"""What both commands (`tljh-config`, `tljh-lite`) are built from: the parser, the options every
subcommand takes, subcommand groups, password prompts, and `run`.

`run` is the one place that turns exceptions into output and exit codes:
a TljhError becomes one line on stderr and exit 1, Ctrl-C says "cancelled",
and only --verbose shows a traceback. Each subcommand module has
`add_parsers(commands, common)` and sets `run=function(context, args)`;
the entry points (`tljh_config`, `tljh_lite`) only list them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from ..downloads import settings as downloads
from ..errors import TljhError
from ..paths import Paths
from .context import Context


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


def make_parser(paths: Paths, prog: str, description: str, subcommands, epilog: str | None = None,
                plugin_commands=()) -> ArgumentParser:
    """A command with subcommands, each module adding its own parsers (shared by tljh-config and tljh-lite);
    `plugin_commands`: [(plugin name, module)] added after them, each with names of its own."""
    common = common_options(paths)
    parser = ArgumentParser(prog=prog, parents=[common], description=description, epilog=epilog)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    commands.required = True
    for module in subcommands:
        module.add_parsers(commands, common)
    for plugin, module in plugin_commands:
        taken = dict(commands.choices)
        try:
            module.add_parsers(commands, common)
        except argparse.ArgumentError as e:  # Python 3.11+ refuses a name twice
            raise TljhError(f"plugin {plugin} adds a {prog} subcommand that exists: {e}",
                            "uninstall the plugin or report it to its authors") from e
        clash = sorted(name for name, sub in taken.items() if commands.choices.get(name) is not sub)
        if clash:
            raise TljhError(f"plugin {plugin} adds a {prog} subcommand that exists: {clash[0]}",
                            "uninstall the plugin or report it to its authors")
    return parser


def add_group(commands, common, name: str, help: str, description: str):
    """A subcommand with actions of its own (`tljh-lite https status`); returns the actions' subparsers."""
    group = commands.add_parser(name, parents=[common], help=help, description=description)
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=ArgumentParser)
    actions.required = True
    return actions


def run(prog: str, build: Callable[[Paths], ArgumentParser], argv: Sequence[str] | None) -> int:
    """Parse, run the subcommand, and turn every error into one line and an exit code."""
    paths = Paths.from_environ()
    try:
        parser = build(paths)  # plugins add subcommands: a broken one is one line, as any error
    except TljhError as e:
        print(f"{prog}: error: {e.one_line()}", file=sys.stderr)
        return e.exit_code
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", False)
    context = Context(paths, getattr(args, "config_path", paths.config_file))
    downloads.apply(paths)  # `sudo` dropped the campus proxy: download (certbot, plugins) as the install did
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


def ask_password(name: str) -> str | None:
    """A password typed twice on the terminal; None (generate one) if left empty or not on a terminal."""
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(f"Password for {name} (press Enter to generate one): ")
    if not first:
        return None
    if getpass.getpass("The same password again: ") != first:
        raise TljhError("the two passwords differ", "run the command again")
    return first
