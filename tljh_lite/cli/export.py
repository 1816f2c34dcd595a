"""`tljh-lite export z2jh`: the hub as Zero to JupyterHub values, users, image and homes (docs/scale-out.md)."""

from __future__ import annotations

from pathlib import Path

from .main import add_group


def add_parsers(commands, common) -> None:
    actions = add_group(
        commands, common, "export", help="move the hub elsewhere: Zero to JupyterHub on Kubernetes",
        description="Write what a move of this hub needs. See docs/scale-out.md.",
    )
    z2jh = actions.add_parser(
        "z2jh", parents=[common], help="values.yaml for the chart, users.json, a Dockerfile, homes.sh, MIGRATION.md",
        description="Write into one private folder (0700): values.yaml for the Zero to JupyterHub chart, checked "
        "against its schema; values-secrets.yaml (0600) with the TLS key and OAuth secrets; users.json (0600) with "
        "users, admins, groups and FirstUse password hashes, for tljh-lite import-users; a Dockerfile and "
        "requirements.txt with the students' environment at its exact versions; homes.sh, which archives each home "
        "for its volume; and MIGRATION.md, what does not carry over. Exit 1 only if values.yaml is not valid.",
    )
    z2jh.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder to write (made 0700)")
    z2jh.add_argument("--image", default=None, metavar="NAME",
                      help="where you will push the students' image, without tag (default: a placeholder)")
    z2jh.set_defaults(run=run_z2jh)


def run_z2jh(context, args) -> int:
    from ..plugins import installed_plugins
    from ..scaleout.export import DEFAULT_IMAGE, Machine, export_z2jh, hostname

    config = context.checked_config()
    machine = Machine(context.paths, hostname=hostname())
    done = export_z2jh(config, machine, installed_plugins(), args.out.absolute(), args.image or DEFAULT_IMAGE)
    print(f"Wrote {', '.join(done.files)} into {done.out} (0700).")
    print(f"values.yaml passes the chart's schema; {done.users} users ({done.with_password} with a FirstUse "
          f"password) in users.json.")
    print(f"{len(done.notes)} settings need you on the new hub: see {done.out / 'MIGRATION.md'}")
    print("Next: docs/scale-out.md (build the image, helm install, tljh-lite import-users, homes.sh).")
    return 0
