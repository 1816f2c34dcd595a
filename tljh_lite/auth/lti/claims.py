"""A launch's claims (already checked: signed by the LMS, for this hub, fresh) to who she is here.

LTI 1.3 sends her roles as URIs of the LIS vocabularies
(https://www.imsglobal.org/spec/lti/v1p3/#role-vocabularies). Only her roles in
the course (the "membership" roles, or their LTI 1.1 short names) say what she
may do in it: Canvas also sends institution roles (`.../institution/person#Student`)
that name every course she has. They map onto ours:

| LMS role in the course | here |
| --- | --- |
| Instructor | instructor |
| TeachingAssistant (`Instructor#TeachingAssistant`, a sub-role), or the sub-role `Instructor#Grader` | grader |
| Learner | student |

Administrator (of the course, the institution or the system) makes her a hub
admin only when the professor turns that on: hub admins are root on this machine.
A launch with no role the professor allows (`allowed_roles`) is refused, and so is
one without the claim that names her (`username_key`); nothing is created then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .usernames import hub_username

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES_CLAIM = CLAIM + "roles"
CONTEXT_CLAIM = CLAIM + "context"
RESOURCE_LINK_CLAIM = CLAIM + "resource_link"
CUSTOM_CLAIM = CLAIM + "custom"
TARGET_LINK_CLAIM = CLAIM + "target_link_uri"
DEPLOYMENT_CLAIM = CLAIM + "deployment_id"
MESSAGE_TYPE_CLAIM = CLAIM + "message_type"

# The LMS's role in the course -> ours, in order of precedence.
COURSE_ROLES = {"Instructor": "instructor", "TeachingAssistant": "grader", "Learner": "student"}
DEFAULT_ALLOWED_ROLES = tuple(COURSE_ROLES)
DEFAULT_USERNAME_KEY = "sub"
CUSTOM_PREFIX = "custom_"

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
# (scope, principal, sub-role) from a role URI; scope: context, institution or system.
_ROLE_FORMS = [
    (re.compile(re.escape(_LIS) + r"membership#(\w+)$"), "context"),
    (re.compile(re.escape(_LIS) + r"membership/(\w+)#(\w+)$"), "context"),
    (re.compile(re.escape(_LIS) + r"institution/person#(\w+)$"), "institution"),
    (re.compile(re.escape(_LIS) + r"system/person#(\w+)$"), "system"),
    (re.compile(r"urn:lti:role:ims/lis/(\w+)(?:/(\w+))?$"), "context"),  # LTI 1.1 names, still sent by some
    (re.compile(r"urn:lti:instrole:ims/lis/(\w+)$"), "institution"),
    (re.compile(r"urn:lti:sysrole:ims/lis/(\w+)$"), "system"),
    (re.compile(r"(\w+)$"), "context"),  # a short name: the spec allows it for course roles
]
_ADMIN_NAMES = {"Administrator", "SysAdmin"}


def _grades_only(role: "LmsRole") -> bool:
    """Instructor#TeachingAssistant (and its Section, Offering... forms) and Instructor#Grader."""
    return role.name == "TeachingAssistant" or bool(role.sub and (role.sub.startswith("TeachingAssistant")
                                                                  or role.sub == "Grader"))


class LaunchRefused(Exception):
    """A launch the hub turns away: `message` is for the person who launched (one line), `status`
    the HTTP status of the page she sees. Nothing is created for her."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Policy:
    """What the professor decided (auth.LTI13Authenticator.*)."""

    username_key: str = DEFAULT_USERNAME_KEY
    allowed_roles: tuple[str, ...] = DEFAULT_ALLOWED_ROLES
    lms_admins_are_hub_admins: bool = False


@dataclass(frozen=True)
class Launch:
    """Who launched and from where.

    `roles`: hers in the course, of "instructor", "grader", "student" (usually one);
    `lms_admin`: an Administrator in the LMS whom the policy makes a hub admin;
    `context`: what a plugin learns (see `tljh_lite.hooks.tljh_lite_lms_launch`).
    """

    username: str
    roles: tuple[str, ...]
    lms_admin: bool = False
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LmsRole:
    scope: str  # context, institution, system
    name: str  # the principal role: Instructor, Learner, Administrator, ...
    sub: str | None = None  # a sub-role: TeachingAssistant of Instructor#TeachingAssistant

    def __str__(self) -> str:
        return f"{self.name}#{self.sub}" if self.sub else self.name


def parse_role(uri: str) -> LmsRole | None:
    """A role URI (or short name) of the LIS vocabularies; None for one of another vocabulary."""
    for pattern, scope in _ROLE_FORMS:
        match = pattern.match(uri.strip())
        if match:
            name, sub = match.group(1), (match.group(2) if match.lastindex and match.lastindex > 1 else None)
            return LmsRole(scope, name, sub)
    return None


def course_roles(roles: list[LmsRole]) -> list[str]:
    """Her roles in the course, as the LMS names them (Instructor, TeachingAssistant, Learner).

    A teaching assistant comes as Instructor plus the sub-role Instructor#TeachingAssistant
    (or, from some LMSs, as a role TeachingAssistant of its own): she is a grader, not an
    instructor.
    """
    in_course = [role for role in roles if role.scope == "context"]
    names = {role.name for role in in_course}
    assistant = any(_grades_only(role) for role in in_course)
    found = []
    if "Instructor" in names and not assistant:
        found.append("Instructor")
    if assistant:
        found.append("TeachingAssistant")
    if "Learner" in names:
        found.append("Learner")
    return found


def is_lms_admin(roles: list[LmsRole]) -> bool:
    return any(role.name in _ADMIN_NAMES and role.sub is None for role in roles)


def read_launch(claims: Mapping[str, Any], policy: Policy) -> Launch:
    """Who she is here, or LaunchRefused."""
    raw_roles = [str(role) for role in claims.get(ROLES_CLAIM) or []]
    parsed = [role for role in map(parse_role, raw_roles) if role is not None]
    in_course = course_roles(parsed)
    allowed = [name for name in in_course if name in policy.allowed_roles]
    lms_admin = policy.lms_admins_are_hub_admins and is_lms_admin(parsed)
    if not allowed and not lms_admin:
        shown = ", ".join(sorted({str(role) for role in parsed if role.scope == "context"})) or "none"
        raise LaunchRefused(
            f"LTI launch refused: your role in this course ({shown}) may not use this hub "
            f"(allowed: {', '.join(policy.allowed_roles) or 'none'})")
    username = hub_username_from(claims, policy.username_key)
    return Launch(username, tuple(COURSE_ROLES[name] for name in allowed), lms_admin, course_context(claims, raw_roles))


def hub_username_from(claims: Mapping[str, Any], username_key: str) -> str:
    """Her hub name from the claim `username_key` (`custom_NAME`: the custom parameter NAME).

    A missing claim is a refusal, never a quiet fall back to another claim: names from two
    claims could collide (one person's email local part, another's user id).
    """
    key = username_key or DEFAULT_USERNAME_KEY
    source: Any = claims
    name = key
    if key.startswith(CUSTOM_PREFIX):
        source, name = claims.get(CUSTOM_CLAIM) or {}, key[len(CUSTOM_PREFIX):]
    value = source.get(name) if isinstance(source, Mapping) else None
    if value is None or isinstance(value, (dict, list)) or not str(value).strip():
        raise LaunchRefused(
            f"LTI launch refused: the LMS sent no '{key}' for you, which names people on this hub "
            f"(auth.LTI13Authenticator.username_key); ask your teacher", status=400)
    return hub_username(str(value))


def course_context(claims: Mapping[str, Any], raw_roles: list[str]) -> dict[str, Any]:
    """What the launch says about where it comes from (a plain dict: plugins get a copy)."""
    context = claims.get(CONTEXT_CLAIM) or {}
    link = claims.get(RESOURCE_LINK_CLAIM) or {}
    audience = claims.get("aud")
    return {
        "issuer": claims.get("iss"),
        "client_id": claims.get("azp") or (audience[0] if isinstance(audience, list) else audience),
        "deployment_id": claims.get(DEPLOYMENT_CLAIM),
        "context_id": context.get("id"),
        "context_label": context.get("label"),
        "context_title": context.get("title"),
        "resource_link_id": link.get("id"),
        "resource_link_title": link.get("title"),
        "target_link_uri": claims.get(TARGET_LINK_CLAIM),
        "custom": {str(k): v for k, v in (claims.get(CUSTOM_CLAIM) or {}).items()},
        "lms_roles": list(raw_roles),
        "message_type": claims.get(MESSAGE_TYPE_CLAIM),
    }
