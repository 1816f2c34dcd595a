"""`tljh-lite bundle create`: one file with everything an install needs, for a server with no network."""

from __future__ import annotations

from .framework import add_group


def add_parsers(commands, common) -> None:
    from ..bundle.command import DESCRIPTION, add_create_options

    actions = add_group(
        commands, common, "bundle", help="make a bundle to install or upgrade a server with no network",
        description="Bundles for servers with no network (docs/offline.md).",
    )
    create = actions.add_parser("create", parents=[common], help="make a bundle", description=DESCRIPTION)
    add_create_options(create)
    create.set_defaults(run=run_create)


def run_create(context, args) -> int:
    from ..bundle.command import run_create as create

    return create(args)
