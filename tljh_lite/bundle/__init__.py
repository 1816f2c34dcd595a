"""Bundles: everything an install needs in one file, for a server with no network.

- `targets`: the releases and architectures a bundle is made for.
- `manifest`: what a bundle holds, and every file's sha256 (bootstrap reads it).
- `wanted`: what tljh-lite and the plugins ask an install for (their hooks).
- `wheels`: both environments resolved for the target's Python, and downloaded.
- `debs`: the Debian packages resolved for the target release, downloaded, indexed.
- `create`: the whole of `tljh-lite bundle create`; `command`: its options, shared by
  `tljh-lite bundle create` and `python3 -m tljh_lite.bundle create` (from a checkout).

Installing from a bundle is bootstrap's (`--bundle FILE`): it checks the
bundle, then points apt, pip and uv at it. docs/offline.md is the guide.
This package imports nothing beyond the standard library when it runs,
so a checkout makes bundles on a machine that has no tljh-lite installed.
"""
