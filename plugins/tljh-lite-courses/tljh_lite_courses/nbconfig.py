"""The text of nbgrader's and Jupyter's config files the courses need (pure).

- In the students' environment (every server started from it, the formgraders too):
  nbgrader's global config (the exchange, courses from JupyterHub's groups, the
  collector that checks who submitted), the formgrader and course-list server
  extensions off, and their JupyterLab parts hidden: students get the Assignments
  tab (assignment list) and Validate, nothing else, loaded at first use (lazy.py).
- In each grader's home: the formgrader on, for that account's server only.
- In each course folder: its nbgrader_config.py (course id and folder), which the
  formgrader reads from its working directory and an instructor's `nbgrader`
  commands read when she runs them there.
"""

from __future__ import annotations

import json

from .model import EXCHANGE, Course

GLOBAL_NBGRADER_CONFIG = f"""\
# Written by tljh-lite-courses: nbgrader for every server of this environment.
c = get_config()  # noqa: F821
c.Exchange.root = {str(EXCHANGE)!r}
# One folder per course in the exchange; a student sees the courses of her JupyterHub groups.
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = "tljh_lite_courses_nbgrader.auth.CourseAuthPlugin"
# The exchange's folders are made by tljh-lite with their groups and modes (docs/courses.md):
# nbgrader must use them as they are, not want a world-writable exchange root.
c.CourseDirectory.groupshared = True
# Submissions are filed under the account that made them, whatever their name says.
c.ExchangeFactory.collect = "tljh_lite_courses_nbgrader.collect.OwnerCheckedCollect"
# The exchange's root is not listable (course names stay private): a student's courses are looked up by name.
c.ExchangeFactory.list = "tljh_lite_courses_nbgrader.listing.CourseAwareList"
# Students' code, when nbgrader runs it (autograde, validate), never gains privileges (no sudo).
c.Execute.kernel_manager_class = "tljh_lite_courses_nbgrader.autograde.NoNewPrivilegesKernelManager"
"""

LAZY = "tljh_lite_courses_nbgrader.lazy"
SERVER_EXTENSIONS_OFF = json.dumps({
    "ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
        # Students' servers load the assignment list and the validator when first used, not at start.
        "nbgrader.server_extensions.assignment_list": False,
        "nbgrader.server_extensions.validate_assignment": False,
        LAZY: True,
    }}
}, indent=2) + "\n"

LAB_PLUGINS_OFF = json.dumps({
    "disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:create-assignment": True,
    }
}, indent=2) + "\n"

FORMGRADER_NEEDS_NOT = ("jupyter_lsp", "jupyter_resource_usage", "nbgitpuller")


def grader_server_config(secure_cookies: bool) -> str:
    """The grader account's server: the formgrader on, the students' panels off; under HTTPS its
    _xsrf cookie Secure, as the hub's and students' servers' are (tljh_lite.hub.settings)."""
    server: dict = {"jpserver_extensions": {
        "nbgrader.server_extensions.formgrader": True,
        "nbgrader.server_extensions.validate_assignment": True,  # the Create Assignment toolbar's Validate
        "nbgrader.server_extensions.assignment_list": False,
        "nbgrader.server_extensions.course_list": False,
        LAZY: False,
        # What students' servers have and a formgrader does not need (one runs per course, all the time).
        **{extension: False for extension in FORMGRADER_NEEDS_NOT},
    }}
    if secure_cookies:
        server["tornado_settings"] = {"xsrf_cookie_kwargs": {"secure": True}}
    return json.dumps({"ServerApp": server}, indent=2) + "\n"


GRADER_LAB_CONFIG = json.dumps({
    "disabledExtensions": {
        "@jupyter/nbgrader:formgrader": False,
        "@jupyter/nbgrader:create-assignment": False,
        "@jupyter/nbgrader:assignment-list": True,
    }
}, indent=2) + "\n"


def course_config(course: Course) -> str:
    return (
        "# Written by tljh-lite-courses (root's: change the course with sudo tljh-lite course ...).\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course.name!r}\n"
        f"c.CourseDirectory.root = {str(course.root)!r}\n"
    )
