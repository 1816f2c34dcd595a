"""`reload [hub|proxy]`: apply config.yaml by restarting a service."""

from __future__ import annotations

from ..errors import TljhError


def add_parsers(commands, common) -> None:
    sub = commands.add_parser(
        "reload",
        parents=[common],
        help="restart the hub (default) or the proxy so config changes take effect",
        description="Check config.yaml, then restart the hub or the proxy and wait until it answers.",
    )
    sub.add_argument("service", nargs="?", choices=("hub", "proxy"), default="hub")
    sub.set_defaults(run=run)


def run(context, args) -> int:
    context.require_access()
    context.checker.check(context.file.load())  # never restart into a config we know is bad
    hub = context.paths.hub_venv / "bin" / "jupyterhub"
    if not hub.exists():
        raise TljhError(
            f"no hub is installed under {context.paths.prefix} ({hub} is missing), so there is nothing to reload",
            "install tljh-lite with installer/bootstrap.py; it will use this config",
        )
    raise TljhError(f"cannot reload the {args.service} yet: this tljh-lite has no service manager")
