"""A launch from the school's LMS (LTI 1.3, tljh-lite's `tljh_lite_lms_launch`) puts her into the
course it comes from, with her role there: no roster import, no reload.

Which course: the one whose `lms_contexts` lists the launch's LMS course id
(`courses.data101.lms_contexts`: the professor sets it, since an LMS's ids are
its own, a number in Moodle, a hash in Canvas). Only that mapping: a course is
never found by a name an LMS user could give her own LMS course, so an
instructor of some other LMS course never becomes an instructor here. A launch
from anywhere else (another LMS course, a link outside a course) changes
nothing here, and says so in the hub's journal with the LMS course's id (how
the professor finds it). config.yaml is read at each launch: a new mapping
needs no reload.

Her LMS role arrives mapped already (tljh_lite.auth.lti.claims: Instructor ->
"instructor", TeachingAssistant -> "grader", Learner -> "student"), which are
this plugin's role names. `membership.enroll` writes config.yaml and sets her
groups in the running hub; on her first launch the hub does not know her yet,
so the groups are also returned, for the authenticator to give her as it
makes her account. Where she lands is left to the link (a plain course link:
her server, where the Assignments tab shows the course).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from tljh_lite.config.file import ConfigFile
from tljh_lite.paths import Paths

from . import membership
from .model import ROLES, Course, courses

log = logging.getLogger("JupyterHub")  # the hub's own log (its journal), where this runs


def course_for_context(config: Mapping[str, Any], context: Mapping[str, Any]) -> Course | None:
    """The course of a merged config that a launch's LMS course maps onto, or None."""
    context_id = context.get("context_id")
    if not isinstance(context_id, str) or not context_id:
        return None
    return next((each for each in courses(config) if context_id in each.lms_contexts), None)


def enroll_from_launch(paths: Paths, username: str, roles: list[str], context: Mapping[str, Any],
                       checker=None) -> dict[str, list[str]] | None:
    """Her roles in the course the launch comes from, in config.yaml and the hub; the course groups
    she is in now (what her auth model carries). None when the launch maps onto no course of ours."""
    from tljh_lite.config.checker import config_checker

    checker = checker or config_checker(paths=paths)
    file = ConfigFile(paths.config_file)
    found = course_for_context(checker.merged(file.load()), context)
    ours = [role for role in roles if role in ROLES]
    if found is None:
        if context.get("context_id"):  # how the professor learns the id to map
            log.info("LTI launch of %s from the LMS course %r (%s): no course here lists it in lms_contexts",
                     username, context["context_id"], context.get("context_title") or context.get("context_label"))
        return None
    if not ours:
        return None
    for role in ours:
        membership.enroll(paths, found.name, username, role, checker)
    return {"groups": membership.hub_groups_of(checker.merged(file.load()), username)}
