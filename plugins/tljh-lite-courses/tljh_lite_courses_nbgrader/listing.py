"""nbgrader's exchange list, for an exchange whose root nobody may list.

With several courses in one exchange (`path_includes_course`), nbgrader
finds a student's assignments by listing the exchange's root
(`<root>/*/outbound/*`). Here the root is 0711: nobody may list it, so no
one learns the names of courses she is not in, and that listing finds
nothing. The courses to look in are hers instead, from the same place
nbgrader checks them against (her JupyterHub groups, through the auth
plugin); each is looked up by name, which the root allows.
"""

from __future__ import annotations

from nbgrader.exchange.default.list import ExchangeList


class CourseAwareList(ExchangeList):
    def init_dest(self):
        if self.coursedir.course_id or self.cached or not self.path_includes_course:
            return super().init_dest()
        courses = self.authenticator.get_student_courses(self.coursedir.student_id or "*")
        if courses is None:  # an auth plugin that does not restrict courses: nbgrader's own way
            return super().init_dest()
        found = []
        try:
            for course in sorted(courses):
                self.coursedir.course_id = course
                super().init_dest()
                found += self.assignments
        finally:
            self.coursedir.course_id = ""
        self.assignments = sorted(found)
