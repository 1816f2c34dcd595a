"""nbgrader's JupyterHub auth plugin, knowing that a course's formgrader is a service and no hub user.

Students' and instructors' own servers ask the hub for their groups
(`nbgrader-<course>`, `formgrade-<course>`), as nbgrader does. A course's
formgrader runs as its grader account, which is not a hub user (nobody logs
in as it): asking the hub about it gets 403, and nbgrader's formgrader
fails. Its course is the one its service is named after (tljh-lite-courses
names each formgrader service like its course).

Who is in a course is config.yaml's (`sudo tljh-lite course add|drop`), so
the formgrader's "add/remove student" changes only its gradebook here, not
the hub's groups.
"""

from __future__ import annotations

import os

from nbgrader.auth.jupyterhub import JupyterHubAuthPlugin


def formgrader_course() -> str | None:
    """The course whose formgrader this process is (a JupyterHub service run as grader-<course>), or None."""
    service = os.environ.get("JUPYTERHUB_SERVICE_NAME")
    if service and os.environ.get("JUPYTERHUB_USER") == f"grader-{service}":
        return service
    return None


class CourseAuthPlugin(JupyterHubAuthPlugin):
    def get_student_courses(self, student_id: str) -> list | None:
        course = formgrader_course()
        if course and student_id in ("*", f"grader-{course}"):
            return [course]
        return super().get_student_courses(student_id)

    def add_student_to_course(self, student_id: str, course_id: str) -> None:
        self.log.info("%s is in the gradebook of %s; to give her the course's assignments: "
                      "sudo tljh-lite course add %s %s", student_id, course_id, course_id, student_id)

    def remove_student_from_course(self, student_id: str, course_id: str) -> None:
        self.log.info("to take %s out of %s: sudo tljh-lite course drop %s %s",
                      student_id, course_id, course_id, student_id)
