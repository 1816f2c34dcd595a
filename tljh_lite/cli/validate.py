"""`validate`: check config.yaml against the schema, list every problem."""

from __future__ import annotations

import sys


def add_parsers(commands, common) -> None:
    sub = commands.add_parser(
        "validate",
        parents=[common],
        help="check config.yaml and list its problems",
        description="Check config.yaml against the schema; exit 1 and list the problems if it is invalid.",
    )
    sub.set_defaults(run=run)


def run(context, args) -> int:
    context.require_access()
    problems = context.checker.problems(context.file.load())
    for problem in problems:
        hint = f"; {problem.hint}" if problem.hint else ""
        print(f"{context.config_path}: {problem.message}{hint}", file=sys.stderr)
    if problems:
        return 1
    print(f"{context.config_path} is valid")
    return 0
