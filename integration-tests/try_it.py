"""Try tljh-lite without a VM: a local systemd container with the hub installed by bootstrap.

    bash integration-tests/try-it.sh [--release trixie] [--port 8080]     (as root)

Installs as the README says (`--admin prof`, no password on the command line):
bootstrap generates the admin's password and prints it in its summary. Then
prints the URL (on 127.0.0.1 only) and that login. The container keeps running;
remove it with `docker rm -f tljh-lite-try`.
"""

from __future__ import annotations

import argparse
import re
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
    hub = InstalledHub(container, "", 0)
    result, seconds = hub.bootstrap("--admin", ADMIN, check=False)
    output = result.stdout + result.stderr
    print(output)
    if result.exit_code != 0:
        print(f"error: the install failed; inspect with: docker exec -it {NAME} bash", file=sys.stderr)
        return 1
    print(f"tljh-lite is running in the container {NAME} (installed in {seconds:.0f} s).")
    print(f"Open {hub.url} (the container's port 80) and log in as {ADMIN} with {generated_password(output)}")
    print(f"A shell inside: docker exec -it {NAME} bash   (then: tljh-config show)")
    print(f"Remove it: docker rm -f {NAME}")
    return 0


def generated_password(install_output: str) -> str:
    """The password bootstrap generated for the admin, as its summary shows it once."""
    found = re.search(rf"^Admin: {re.escape(ADMIN)}, password: (\S+)", install_output, re.MULTILINE)
    return f"the password {found.group(1)}" if found else "the password shown above"


if __name__ == "__main__":
    sys.exit(main())
