"""`tljh-lite export z2jh|users`: the hub as Zero to JupyterHub values, users, image and homes, and its
users created on the new hub through its REST API (docs/scale-out.md).

`tljh-lite import-users` was the name of `export users` up to 0.3.0; it still works, with a note.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import TljhError
from .framework import add_group

TOKEN_ENV_VAR = "JUPYTERHUB_API_TOKEN"
OLD_NAME = "import-users"


def add_parsers(commands, common) -> None:
    actions = add_group(
        commands, common, "export", help="move the hub elsewhere: Zero to JupyterHub on Kubernetes",
        description="Write what a move of this hub needs. See docs/scale-out.md.",
    )
    z2jh = actions.add_parser(
        "z2jh", parents=[common], help="values.yaml for the chart, users.json, a Dockerfile, homes.sh, MIGRATION.md",
        description="Write into one private folder (0700): values.yaml for the Zero to JupyterHub chart, checked "
        "against its schema; values-secrets.yaml (0600) with the TLS key and OAuth secrets; users.json (0600) with "
        "users, admins, groups and FirstUse password hashes, for tljh-lite export users; a Dockerfile and "
        "requirements.txt with the students' environment at its exact versions; homes.sh, which archives each home "
        "for its volume; and MIGRATION.md, what does not carry over. Exit 1 only if values.yaml is not valid.",
    )
    z2jh.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder to write (made 0700)")
    z2jh.add_argument("--image", default=None, metavar="NAME",
                      help="where you will push the students' image, without tag (default: a placeholder)")
    z2jh.set_defaults(run=run_z2jh)
    users = actions.add_parser(
        "users", parents=[common], help="create users.json's users and groups on the new hub (REST API)",
        description=USERS_DESCRIPTION,
    )
    _users_arguments(users)
    users.set_defaults(run=run_users)
    old = commands.add_parser(OLD_NAME, parents=[common], description="The old name of `tljh-lite export users`. "
                              + USERS_DESCRIPTION)
    _users_arguments(old)
    old.set_defaults(run=run_old_name)


USERS_DESCRIPTION = (
    "Create the users, admins and groups of users.json (from tljh-lite export z2jh) on a JupyterHub through its "
    "REST API. Changes only what is missing: run it again at any time. Give an admin's token with --token-file "
    f"FILE or in ${TOKEN_ENV_VAR}, not --token, which everyone on this machine sees in ps while it runs. "
    "Passwords: see firstuse_passwords.py beside users.json, and docs/scale-out.md."
)


def _users_arguments(parser) -> None:
    parser.add_argument("users_json", type=Path, metavar="USERS_JSON", help="users.json from tljh-lite export z2jh")
    parser.add_argument("--hub-url", required=True, metavar="URL", help="the new hub, e.g. https://hub.example.org/")
    parser.add_argument("--token", default=None, metavar="TOKEN",
                        help=f"an admin's API token (prefer --token-file or ${TOKEN_ENV_VAR})")
    parser.add_argument("--token-file", type=Path, default=None, metavar="FILE",
                        help="a file whose first line is the token")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")


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
    print("Next: docs/scale-out.md (build the image, helm install, tljh-lite export users, homes.sh).")
    return 0


def token_from(args: argparse.Namespace, environ=os.environ) -> str:
    if args.token_file is not None:
        try:
            token = args.token_file.read_text().splitlines()[0].strip() if args.token_file.stat().st_size else ""
        except OSError as e:
            raise TljhError(f"cannot read --token-file {args.token_file}: {e.strerror}", "name a readable file") from e
    elif args.token:
        print("warning: --token shows the token in ps while this runs; prefer --token-file or "
              f"${TOKEN_ENV_VAR}", file=sys.stderr)
        token = args.token
    else:
        token = environ.get(TOKEN_ENV_VAR, "")
    if not token:
        raise TljhError("no API token", f"give an admin's token with --token-file FILE or in ${TOKEN_ENV_VAR}")
    return token


def run_old_name(context, args) -> int:
    print(f"note: `tljh-lite {OLD_NAME}` is now `tljh-lite export users`; the old name still works",
          file=sys.stderr)
    return run_users(context, args)


def run_users(context, args) -> int:
    import json

    from ..scaleout.hubapi import HubApi, import_users
    from ..scaleout.roster import check_document

    try:
        doc = json.loads(args.users_json.read_text())
    except OSError as e:
        raise TljhError(f"cannot read {args.users_json}: {e.strerror}", "name the users.json the export wrote") from e
    except ValueError as e:
        raise TljhError(f"{args.users_json} is not JSON: {e}", "name the users.json the export wrote") from e
    problem = check_document(doc)
    if problem:
        raise TljhError(f"{args.users_json}: {problem}", "name the users.json tljh-lite export z2jh wrote")
    api = HubApi(args.hub_url, token_from(args))
    import_users(doc, api, say=lambda text: print(text, flush=True), dry_run=args.dry_run)
    with_password = sum(1 for u in doc["users"] if u.get("firstuse_bcrypt"))
    if with_password and not args.dry_run:
        print(f"{with_password} FirstUse passwords are in users.json: put them on the new hub with "
              "firstuse_passwords.py (docs/scale-out.md)")
    return 0
