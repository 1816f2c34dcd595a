"""Run by the proxy's unit after every start (ExecStartPost): ask the hub to
put its routes back at once, `POST /hub/api/proxy`, instead of waiting for its
next periodic check (a minute). A proxy restarted for a renewed certificate,
or after a crash, forgets every route; students' running servers must answer
again within seconds.

Standard library only (it runs at every proxy start). The token is the hub's
`proxy-sync` service's, read from the root-only state directory, never a
command line. A hub that is not running is not an error: it adds every route
when it starts.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

from .paths import Paths
from .ports import HUB_URL, PROXY_API_PORT, wait_for_port

WAIT_FOR_PROXY_SECONDS = 10


def token_file(paths: Paths):
    return paths.state_dir / "proxy-sync-token"


def resync(base_url: str, token: str, timeout: float = 10) -> str:
    request = urllib.request.Request(
        f"{HUB_URL}{base_url}hub/api/proxy", method="POST", data=b"", headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return f"the hub restored the proxy's routes (HTTP {response.status})"
    except urllib.error.HTTPError as e:
        return f"the hub refused to restore the routes (HTTP {e.code}); it restores them within a minute"
    except (urllib.error.URLError, OSError) as e:
        return f"the hub does not answer ({getattr(e, 'reason', e)}); it adds the routes when it starts"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tljh_lite.proxysync", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="/")
    args = parser.parse_args(argv)
    paths = Paths.from_environ()
    try:
        token = token_file(paths).read_text().strip()
    except OSError as e:
        print(f"no hub token to restore routes with ({e}); the hub restores them within a minute", file=sys.stderr)
        return 0
    if not wait_for_port(PROXY_API_PORT, WAIT_FOR_PROXY_SECONDS):
        print(f"the proxy's API did not open within {WAIT_FOR_PROXY_SECONDS} s", file=sys.stderr)
        return 0
    print(resync(args.base_url, token), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
