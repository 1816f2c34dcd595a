"""`plugins`: the installed plugins, their versions and the hooks each implements."""

from __future__ import annotations



def add_parsers(commands, common) -> None:
    sub = commands.add_parser(
        "plugins",
        parents=[common],
        help="list installed plugins with their versions and hooks",
        description="List the plugins installed in the hub environment, with the hooks each implements.",
    )
    sub.set_defaults(run=run)


def run(context, args) -> int:
    from ..plugins import describe, plugin_manager

    infos = describe(plugin_manager())
    for info in infos:
        print(f"{info.name}  ({info.distribution} {info.version})")
        for hook in info.hooks:
            print(f"    {hook}")
    if len(infos) == 1:
        print("No plugins are installed; add one with: bootstrap.py --plugin SPEC")
    return 0
