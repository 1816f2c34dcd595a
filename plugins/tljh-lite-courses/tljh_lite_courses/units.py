"""Each course's formgrader as a systemd unit of its own, which the hub knows as an external service.

Not a hub-managed service: the hub waits for each of those at every start
and stops if one is slow to answer (a formgrader imports nbgrader and
JupyterLab: 10-30 s on a busy 2-core machine), and every hub restart would
restart them. Here a formgrader starts and restarts on its own, does not
hold up or take down the hub, and is sandboxed like any unit of ours: it
writes only its course's folders and its grader's home, sees no home under
/home, and gets no new privileges.

The environment is what JupyterHub gives a service it manages (the
"Services" page of its docs, "Hub-managed services" and "external"); the
token comes from a root-only file (tokens.py).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from tljh_lite.paths import Paths
from tljh_lite.ports import HUB_URL
from tljh_lite.systemd import Unit

from .model import Course
from .tokens import token_file


def formgrader_unit(course: Course) -> Unit:
    return Unit(name=course.unit, what=f"the formgrader of course {course.name}",
                render=lambda paths, config: unit_text(course, paths, config))


def environment(course: Course, paths: Paths, config: Mapping[str, Any]) -> dict[str, str]:
    base = config["base_url"]
    prefix = f"{base}services/{course.name}/"
    scopes = json.dumps(["access:services", f"access:services!service={course.name}"], separators=(",", ":"))
    user_bin = paths.user_venv / "bin"
    return {
        "HOME": str(course.grader_home),
        "PATH": f"{user_bin}:/usr/local/bin:/usr/bin:/bin",
        "JUPYTERHUB_SERVICE_NAME": course.name,
        "JUPYTERHUB_SERVICE_URL": course.url,  # where it listens (loopback)
        "JUPYTERHUB_SERVICE_PREFIX": prefix,
        "JUPYTERHUB_BASE_URL": base,
        "JUPYTERHUB_API_URL": f"{HUB_URL}{base}hub/api",
        "JUPYTERHUB_CLIENT_ID": f"service-{course.name}",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{prefix}oauth_callback",
        # Who may use it: those the hub gives access to this service (the formgrade-<name> role).
        "JUPYTERHUB_OAUTH_ACCESS_SCOPES": scopes,
        "JUPYTERHUB_OAUTH_SCOPES": scopes,
        "JUPYTERHUB_USER": course.grader_account,
        "JUPYTERHUB_DEFAULT_URL": "/formgrader",
    }


def unit_text(course: Course, paths: Paths, config: Mapping[str, Any]) -> str:
    env = "\n".join(f"Environment='{key}={value}'" for key, value in environment(course, paths, config).items())
    writable = " ".join(str(p) for p in (course.root, course.exchange, course.grader_home))
    return f"""\
# Written by tljh-lite-courses (sudo tljh-lite course ...): changes here are overwritten.
[Unit]
Description=tljh-lite: the formgrader of course {course.name} (nbgrader), at {config["base_url"]}services/{course.name}/
After=network.target

[Service]
User={course.grader_account}
Group={course.grader_account}
WorkingDirectory={course.root}
{env}
EnvironmentFile={token_file(paths, course.name)}
ExecStart={paths.user_venv / "bin" / "jupyterhub-singleuser"}
Restart=on-failure
RestartSec=5
# Nothing but its course: a read-only system, no homes, its own /tmp, no devices, no new privileges
# (systemd.exec(5), "Sandboxing"). It runs students' code when it autogrades (docs/courses.md).
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={writable}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
# Staff share what it makes (nbgrader's groupshared); the course folder (2770) keeps others out.
UMask=0002

[Install]
WantedBy=multi-user.target
"""
