"""What the hub gets for the courses (pure): formgrader services, roles, groups, unix groups.

As nbgrader's JupyterHub guide ("multiple classes") sets it up, per course:
- a JupyterHub service named like the course, at a loopback port, run by its
  own systemd unit (units.py) as the course's grader account: an external
  service to the hub, which knows it by its token (tokens.py);
- a role that lets the course's `formgrade-<name>` group (instructors and graders)
  access that service and nothing else: anyone else gets 403 from the service
  (JupyterHub's admins can access every service: they are root here anyway);
- the groups nbgrader's JupyterHubAuthPlugin reads: `nbgrader-<name>` (students),
  `formgrade-<name>` (instructors and graders);
- the unix groups that open the course's folders (system.py).
One more service, `tljh-courses` (no URL), whose token root's `tljh-lite course
add|drop` use to change the courses' groups at once; its role allows that only.
Students' servers may read their own groups (the `server` role), which is how the
Assignments tab lists exactly their courses.
"""

from __future__ import annotations

from typing import Any, Mapping

from .model import Course, courses
from .tokens import MEMBERSHIP

# JupyterHub's default `server` role, plus reading her own name and groups (nbgrader asks /hub/api/users/<her>).
SERVER_SCOPES = ["users:activity!user", "access:servers!server", "read:users:name!user", "read:users:groups!user"]


def formgrader_service(course: Course, token: str) -> dict[str, Any]:
    return {
        "name": course.name,
        "url": course.url,
        "api_token": token,  # also its OAuth client's secret
        # The hub waits this long for it at each start before it adds the proxy's routes (everyone's):
        # a formgrader starting at the same time (10-30 s) must not hold them up; until it answers, 503.
        "timeout": 2,
        # Instructors are not asked "allow the formgrader to know who you are?" every time.
        "oauth_no_confirm": True,
        "display": True,  # listed under Services on the hub's home page, for those who may open it
        "info": {"title": course.title},
    }


def hub_access(config: Mapping[str, Any], tokens: Mapping[str, str]) -> dict[str, Any]:
    """The `tljh_lite_hub_access` answer for a merged config and each course's token; nothing without courses."""
    found = courses(config)
    if not found:
        return {}
    membership = {"name": MEMBERSHIP, "description": "put people into courses (sudo tljh-lite course add)",
                  "services": [MEMBERSHIP], "scopes": [f"groups!group={group}" for c in found
                                                       for group in (c.students_group, c.staff_group)]}
    return {
        "services": [formgrader_service(c, tokens[c.name]) for c in found] + [
            {"name": MEMBERSHIP, "api_token": tokens[MEMBERSHIP], "display": False}],
        "roles": [{"name": "server", "scopes": SERVER_SCOPES}, membership] + [
            {"name": c.staff_group, "description": f"open the formgrader of {c.name}",
             "groups": [c.staff_group], "scopes": [f"access:services!service={c.name}"]}
            for c in found
        ],
        "groups": {group: list(members) for c in found
                   for group, members in ((c.students_group, c.students), (c.staff_group, c.staff))},
        "unix_groups": {group: list(members) for c in found
                        for group, members in ((c.students_group, c.members), (c.staff_group, c.staff))},
    }
