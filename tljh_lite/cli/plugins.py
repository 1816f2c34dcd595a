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
    from ..config.checker import config_checker
    from ..config.schema import owned_keys_of
    from ..plugins import describe, plugin_manager

    pm = plugin_manager()
    infos = describe(pm)
    owned = owned_keys_of(config_checker(pm, context.paths).schema)  # the keys accepted unchecked
    for info in infos:
        print(f"{info.name}  ({info.distribution} {info.version})")
        for hook in info.hooks:
            print(f"    {hook}")
        keys = sorted(key for key, plugin in owned.items() if plugin == info.name)
        if keys:
            print(f"    unchecked config keys owned by this plugin: {', '.join(keys)}")
    if len(infos) == 1:
        print("No plugins are installed; add one with: bootstrap.py --plugin SPEC")
    return 0
