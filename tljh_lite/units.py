"""The systemd units of the hub and the proxy, rendered from paths and config.

Pure functions: the text of each unit. `tljh_lite.services` writes them (only
when they change) and restarts what needs it. Man pages for every setting:
systemd.service(5), systemd.exec(5), systemd.unit(5).
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping

from .paths import Paths
from .ports import HUB_URL, PROXY_API_PORT

HUB_UNIT = "jupyterhub.service"
TLS_KEY_CREDENTIAL = "tls-key"
TLS_CERT_CREDENTIAL = "tls-cert"
PROXY_UNIT = "configurable-http-proxy.service"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# What a public listener (the proxy, the port-80 responder) runs as: no account of
# its own to manage, systemd makes a throwaway user for it (systemd.exec(5),
# DynamicUser=), allowed only to bind low ports, seeing no homes and a read-only system.
LISTENER_SANDBOX = """\
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
"""


def proxy_env_file(paths: Paths):
    """Root-only file holding CONFIGPROXY_AUTH_TOKEN for both services (never a command line)."""
    return paths.state_dir / "proxy.env"


def hub_unit(paths: Paths, jupyterhub_config: str) -> str:
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
EnvironmentFile={proxy_env_file(paths)}
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


def proxy_unit(paths: Paths, binary: str, settings: Mapping[str, Any], base_url: str = "/") -> str:
    args = [binary]
    if settings["ip"]:  # empty: every address
        args.append(f"--ip={settings['ip']}")
    args += [
        f"--port={settings['port']}",
        "--api-ip=127.0.0.1",
        f"--api-port={PROXY_API_PORT}",
        # Until the hub has added its routes, everything goes to the hub.
        f"--default-target={HUB_URL}",
        f"--error-target={HUB_URL}/hub/error",
    ]
    credentials = ""
    if "tls_key" in settings:
        # The key stays root-only where it is: systemd copies it into this unit's
        # private credentials directory (%d) at each start, readable by the
        # throwaway user alone (systemd.exec(5), LoadCredential=). A renewed
        # certificate is read at the next restart.
        credentials = (
            f"LoadCredential={TLS_KEY_CREDENTIAL}:{settings['tls_key']}\n"
            f"LoadCredential={TLS_CERT_CREDENTIAL}:{settings['tls_cert']}\n"
        )
        args += [f"--ssl-key=%d/{TLS_KEY_CREDENTIAL}", f"--ssl-cert=%d/{TLS_CERT_CREDENTIAL}"]
    resync = [str(paths.hub_venv / "bin" / "python3"), "-m", "tljh_lite.proxysync", f"--base-url={base_url}"]
    return f"""\
# Written by tljh-lite; re-running the installer or `tljh-config reload proxy` rewrites it.
[Unit]
Description=configurable-http-proxy for JupyterHub (tljh-lite)
After=network-online.target

[Service]
{LISTENER_SANDBOX}EnvironmentFile={proxy_env_file(paths)}
Environment=TLJH_INSTALL_PREFIX={paths.prefix}
Environment=NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs
{credentials}ExecStart={shlex.join(args)}
# A started proxy has no routes: ask the hub, if it runs, to add them at once
# ('+': as root, to read the hub token; '-': a stopped hub is no failure,
# it adds every route when it starts) (systemd.service(5), ExecStartPost=).
ExecStartPost=+-{shlex.join(resync)}
Restart=always
RestartSec=2s

[Install]
WantedBy=multi-user.target
"""
