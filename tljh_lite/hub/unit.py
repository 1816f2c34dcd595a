"""The hub's systemd unit: its text, and what it reads (a change restarts it).

Man pages for every setting: systemd.service(5), systemd.exec(5), systemd.unit(5).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..paths import Paths
from ..proxy.unit import PROXY_UNIT
from ..systemd import Unit

HUB_UNIT = "jupyterhub.service"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
JUPYTERHUB_CONFIG = Path(__file__).parent / "jupyterhub_config.py"
CODE = Path(__file__).parent.parent  # tljh_lite: the hub runs it


def hub_unit(paths: Paths, jupyterhub_config: str = str(JUPYTERHUB_CONFIG)) -> str:
    hub_bin = paths.hub_venv / "bin"
    return f"""\
# Written by tljh-lite; re-running the installer rewrites it.
[Unit]
Description=JupyterHub (tljh-lite)
After=network-online.target {PROXY_UNIT}
# Wants=, not Requires=: a proxy restart (a renewed certificate, a crash) must
# not restart the hub; the proxy's ExecStartPost asks the running hub to put
# its routes back instead (systemd.unit(5), Wants=).
Wants={PROXY_UNIT}

[Service]
User=root
# The hub creates unix accounts and starts students' servers through systemd.
WorkingDirectory={paths.state_dir}
EnvironmentFile={paths.proxy_env}
# The web proxy, the mirror and pip's patience (docs/offline.md); the spawner passes them to
# students' servers, the proxy's password to admins only. "-": there may be none.
EnvironmentFile=-{paths.downloads_env}
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
Environment=PATH={hub_bin}:{SYSTEM_PATH}
ExecStart={hub_bin}/python3 -m jupyterhub --config={jupyterhub_config} --upgrade-db
Restart=always
RestartSec=2s
# Students' servers are transient units of their own, outside this unit's
# cgroup, so stopping or restarting the hub never stops them.
#
# Hardening, as far as the hub still works (systemd.exec(5) for each setting).
# The hub is root and starts units through systemd, so this cannot contain a
# hub that is taken over; it takes away what the hub never needs, so that a
# bug in it or in a plugin cannot use it.
# Its own /tmp and /var/tmp (#PrivateTmp=).
PrivateTmp=yes
# A /dev without physical devices (#PrivateDevices=).
PrivateDevices=yes
# /proc/sys and /sys read-only (#ProtectKernelTunables=).
ProtectKernelTunables=yes
# No kernel modules loaded (#ProtectKernelModules=).
ProtectKernelModules=yes
# No kernel log ring buffer (#ProtectKernelLogs=).
ProtectKernelLogs=yes
# The cgroup tree read-only: systemd, not the hub, sets students' limits (#ProtectControlGroups=).
ProtectControlGroups=yes
# The clock is not the hub's to set (#ProtectClock=).
ProtectClock=yes
# Nor the hostname (#ProtectHostname=).
ProtectHostname=yes
# No setuid program gives it or its children anything (#NoNewPrivileges=).
NoNewPrivileges=yes
# No new namespaces: containers are not the hub's business (#RestrictNamespaces=).
RestrictNamespaces=yes
# No realtime scheduling to starve the students' servers (#RestrictRealtime=).
RestrictRealtime=yes
# No changes of execution domain (#LockPersonality=).
LockPersonality=yes
# Native system calls only, no 32-bit ones (#SystemCallArchitectures=).
SystemCallArchitectures=native
# The sockets it uses: local (D-Bus to systemd), IP (proxy, servers, login
# providers), netlink (getaddrinfo, useradd's audit records) (#RestrictAddressFamilies=).
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
# Left out, and why:
# - ProtectSystem=, ProtectHome=, ReadOnlyPaths=: the hub writes /etc (useradd,
#   gpasswd), /home (new homes, plugins' links) and {paths.state_dir}.
# - User=, DynamicUser=, PrivateUsers=, CapabilityBoundingSet=: it must be real
#   root to create accounts and own their files, and a root that starts units
#   over D-Bus is not contained by its own capabilities.
# - RestrictSUIDSGID=: plugins' new-user hooks make setgid folders (tljh-lite-shared-folders).
# - SystemCallFilter=, MemoryDenyWriteExecute=: useradd, setfacl and plugins'
#   code run in it; a refused call fails them with a bare EPERM, and native
#   extensions (ctypes callbacks, JITs) need writable code.
# - PrivateNetwork=, IPAddressDeny=: it talks to the proxy, the students' servers
#   and login providers on the internet.
# - ProtectProc=: root sees every process whatever it says.

[Install]
WantedBy=multi-user.target
"""


def hub_reads(paths: Paths, unit_text: str) -> Iterable[Path | bytes]:
    """config.yaml, jupyterhub_config.d, tljh-lite's code, the hub environment's packages, and the
    download settings it hands to students' servers."""
    yield paths.config_file
    yield paths.downloads_env
    yield from sorted(paths.config_d.glob("*.py"))
    yield from sorted(CODE.rglob("*.py"))
    yield installed_versions().encode()


def installed_versions() -> str:
    """Every distribution in this (the hub's) environment, with its version."""
    names = {(d.metadata["Name"] or "").lower(): d.version for d in importlib.metadata.distributions()}
    return "\n".join(f"{name}=={version}" for name, version in sorted(names.items()))


def _render(paths: Paths, config: Mapping[str, Any]) -> str:
    return hub_unit(paths)


HUB = Unit(
    HUB_UNIT, "JupyterHub: logins, the admin panel, students' servers", _render,
    reads=hub_reads,
    restart_blocks=False,  # ready means its API answers: UnitManager.wait
)
