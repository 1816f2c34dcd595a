"""Put users.json's FirstUse password hashes into a FirstUseAuthenticator password file.

Written beside users.json by `tljh-lite export z2jh`; standard library only,
so it runs with the new hub's own Python (the same dbm module FirstUse uses
there). On Zero to JupyterHub, in the hub pod, whose working folder (the
hub-db volume) holds FirstUse's passwords.dbm:

    kubectl cp users.json NAMESPACE/HUB_POD:/tmp/users.json
    kubectl exec -i -n NAMESPACE HUB_POD -- python3 - /tmp/users.json /srv/jupyterhub/passwords.dbm \\
        < firstuse_passwords.py
    kubectl exec -n NAMESPACE HUB_POD -- rm /tmp/users.json

A user who already has a password there keeps it (she may have chosen one on
the new hub): running it again changes nothing. FirstUse reads the file at
every login, so the hub needs no restart.
"""

import dbm
import json
import sys


def main(argv):
    if len(argv) != 2:
        print("usage: python3 firstuse_passwords.py USERS_JSON PASSWORDS_DBM", file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        users = json.load(f)["users"]
    added = kept = 0
    with dbm.open(argv[1], "c", 0o600) as db:
        for user in users:
            hashed = user.get("firstuse_bcrypt")
            if not hashed:
                continue
            key = user["name"].lower().encode()
            if key in db:
                kept += 1
            else:
                db[key] = hashed.encode()
                added += 1
    print(f"{added} passwords added, {kept} users already had one (kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
