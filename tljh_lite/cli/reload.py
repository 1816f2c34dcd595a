"""`reload [hub|proxy]`: apply config.yaml by restarting a service."""

from __future__ import annotations

def add_parsers(commands, common) -> None:
    sub = commands.add_parser(
        "reload",
        parents=[common],
        help="restart the hub (default) or the proxy so config changes take effect",
        description="Check config.yaml, restart the hub or the proxy, and wait until the hub answers. "
        "If it does not come back, the last config that worked is restored.",
    )
    sub.add_argument("service", nargs="?", choices=("hub", "proxy"), default="hub")
    sub.add_argument("--timeout", type=float, default=90, help="seconds to wait for the hub (default 90)")
    sub.set_defaults(run=run)


def run(context, args) -> int:
    context.require_installed_hub("reload applies")
    from ..runner import Runner
    from ..reload import reload

    print(f"Restarting the {args.service} and waiting for the hub to answer...", flush=True)
    version = reload(args.service, context.paths, context.checker, Runner(), args.timeout,
                     say=lambda text: print(text, flush=True))
    print(f"The hub is running with the new config (JupyterHub {version}).")
    return 0
