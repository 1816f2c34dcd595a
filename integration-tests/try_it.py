"""Try tljh-lite without a VM: a local systemd container with the hub installed by bootstrap.

    sudo bash integration-tests/try-it.sh [--release trixie] [--port 8080]

Prints the URL (on 127.0.0.1 only) and the admin's login. The container
keeps running; remove it with `docker rm -f tljh-lite-try`.
"""

from __future__ import annotations

import argparse
import secrets
import sys

from containers import Container
from engine import RELEASES, docker_client, ensure_dockerd, ensure_image
from installed import ADMIN, InstalledHub, copy_checkout

NAME = "tljh-lite-try"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=RELEASES, default="bookworm")
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080)")
    args = parser.parse_args()

    ensure_dockerd()
    image = ensure_image(args.release)
    existing = docker_client().containers.list(all=True, filters={"name": f"^{NAME}$"})
    if existing:
        print(f"error: a container named {NAME} exists already; remove it with: docker rm -f {NAME}", file=sys.stderr)
        return 1
    container = Container.start(image, port=80, host_port=args.port, name=NAME, keep=True)
    container.wait_for_systemd()
    copy_checkout(container)
    password = secrets.token_urlsafe(9)
    hub = InstalledHub(container, "", 0)
    result, seconds = hub.bootstrap("--admin", f"{ADMIN}:{password}", check=False)
    print(result.stdout + result.stderr)
    if result.exit_code != 0:
        print(f"error: the install failed; inspect with: docker exec -it {NAME} bash", file=sys.stderr)
        return 1
    print(f"tljh-lite is running in the container {NAME} (installed in {seconds:.0f} s).")
    print(f"Open {hub.url} and log in as {ADMIN} with the password {password}")
    print(f"A shell inside: docker exec -it {NAME} bash   (then: tljh-config show)")
    print(f"Remove it: docker rm -f {NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
