"""`tljh-lite import-users`: users.json's users and groups onto the new hub, through its REST API."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import TljhError

TOKEN_ENV_VAR = "JUPYTERHUB_API_TOKEN"


def add_parsers(commands, common) -> None:
    parser = commands.add_parser(
        "import-users", parents=[common], help="create users.json's users and groups on a new hub (REST API)",
        description="Create the users, admins and groups of users.json (from tljh-lite export z2jh) on a "
        "JupyterHub through its REST API. Changes only what is missing: run it again at any time. Give an admin's "
        f"token with --token-file FILE or in ${TOKEN_ENV_VAR}, not --token, which everyone on this machine sees "
        "in ps while it runs. Passwords: see firstuse_passwords.py beside users.json, and docs/scale-out.md.",
    )
    parser.add_argument("users_json", type=Path, metavar="USERS_JSON", help="users.json from tljh-lite export z2jh")
    parser.add_argument("--hub-url", required=True, metavar="URL", help="the new hub, e.g. https://hub.example.org/")
    parser.add_argument("--token", default=None, metavar="TOKEN",
                        help=f"an admin's API token (prefer --token-file or ${TOKEN_ENV_VAR})")
    parser.add_argument("--token-file", type=Path, default=None, metavar="FILE",
                        help="a file whose first line is the token")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    parser.set_defaults(run=run)


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


def run(context, args) -> int:
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
