"""`tljh-lite lti info`: what to paste into the LMS's tool form, and what config.yaml still needs."""

from __future__ import annotations

from .framework import add_group


def add_parsers(commands, common) -> None:
    actions = add_group(
        commands, common, "lti", help="LTI 1.3 login from your LMS (Canvas, Moodle): info",
        description="Logging in from the school's LMS with LTI 1.3 (turn it on with tljh-config: docs/lms.md).",
    )
    info = actions.add_parser(
        "info", parents=[common], help="the hub's URLs for the LMS's tool registration, and what is missing",
        description="Print the URLs to paste into the LMS's LTI 1.3 tool form (login initiation, redirect, "
        "target link, keyset, configuration) for this hub's address, and the LMS's values config.yaml has. "
        "Exit code 1 when something still needs you.",
    )
    info.add_argument("--url", metavar="URL",
                      help="the address students use (https://hub.example.edu/), when config.yaml does not tell it "
                           "(your own certificate, a port forwarded by the campus network)")
    info.set_defaults(run=run_info)


def run_info(context, args) -> int:
    from ..auth.lti.registration import info_lines
    from ..config.problems import with_count
    from ..errors import TljhError
    from ..proxy.settings import public_url

    context.require_access()
    # The schema only: what the rules would refuse (LTI keys still missing) is what this command shows.
    loaded = context.file.load()
    problems = context.checker.schema_problems(loaded)
    if problems:
        raise with_count(problems[0], len(problems)).as_error()
    config = context.checker.merged(loaded)
    if args.url and not args.url.startswith(("https://", "http://")):
        raise TljhError(f"--url {args.url} is not a web address", "give it like https://hub.example.edu/")
    url = args.url.rstrip("/") + config["base_url"] if args.url else public_url(config)
    lines, needed = info_lines(config, url)
    print("\n".join(lines))
    for line in needed:
        print(f"Needs you: {line}")
    return 1 if needed else 0
