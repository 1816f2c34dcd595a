"""`show` prints config.yaml as it is; `get` prints one key's value in effect."""

from __future__ import annotations

import sys

from ..config import yaml
from ..config.tree import MISSING, get_item
from ..config.schema import lookup
from ..config.values import show_value
from ..config.values import parse_key


def add_parsers(commands, common) -> None:
    show = commands.add_parser(
        "show", parents=[common], help="print config.yaml", description="Print config.yaml, comments included."
    )
    show.set_defaults(run=run_show)
    get = commands.add_parser(
        "get",
        parents=[common],
        help="print the value in effect for KEY (its default if the file does not set it)",
        description="Print the value in effect for KEY: the file's, or else the default.",
    )
    get.add_argument("key", metavar="KEY", help="a dotted key, like limits.memory")
    get.set_defaults(run=run_get)


def run_show(context, args) -> int:
    context.require_access()
    text = context.file.read_text()
    if not text.strip():
        print(f"# {context.config_path} sets nothing: every key has its default", file=sys.stderr)
    sys.stdout.write(text)
    return 0


def run_get(context, args) -> int:
    context.require_access()
    path = parse_key(args.key)
    if lookup(context.checker.schema, path) is None:
        raise context.checker.unknown_key(args.key).as_error()
    value = get_item(context.checker.merged(context.file.load()), path)
    if value is MISSING:
        print("none (not set)")
    elif isinstance(value, (dict, list)):
        sys.stdout.write(yaml.dumps(value) if value else ("{}\n" if isinstance(value, dict) else "[]\n"))
    elif isinstance(value, str):
        print(value)
    else:
        print(show_value(value))
    return 0
