"""`reload [hub|proxy]`: apply config.yaml by restarting a service."""

from __future__ import annotations

from ..errors import TljhError


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
    require_installed_hub(context, "reload applies")
    from ..commands import Runner
    from ..reload import reload

    print(f"Restarting the {args.service} and waiting for the hub to answer...", flush=True)
    version = reload(args.service, context.paths, context.checker, Runner(), args.timeout,
                     say=lambda text: print(text, flush=True))
    print(f"The hub is running with the new config (JupyterHub {version}).")
    return 0


def require_installed_hub(context, what: str) -> None:
    """Root, the installed config, and a hub installed to apply it (`what`: "reload applies", ...)."""
    context.require_access()
    if context.config_path != context.paths.config_file:
        raise TljhError(f"{what} the installed config only", "run it without --config-path")
    hub = context.paths.hub_venv / "bin" / "jupyterhub"
    if not hub.exists():
        context.checker.check(context.file.load())
        raise TljhError(
            f"no hub is installed under {context.paths.prefix} ({hub} is missing), so there is nothing to reload",
            "install tljh-lite with installer/bootstrap.py; it will use this config",
        )
