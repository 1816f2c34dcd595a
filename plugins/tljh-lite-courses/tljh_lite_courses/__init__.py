"""tljh-lite-courses: nbgrader courses on a tljh-lite hub (README.md; docs/courses.md of tljh-lite).

- `model`: what a course is, from config.yaml (pure): names, people, accounts, groups, folders.
- `membership`: pure edits of config.yaml (create, add or drop a person, remove), and `enroll`,
  the call another module (an LMS login) makes to put a person into a course.
- `lms`: a launch from the school's LMS puts her into the course it maps onto, with her role.
- `hubaccess`: the formgrader services, roles and groups the hub gets (pure).
- `system`: the machine made to match (accounts, groups, folders and modes, nbgrader's config).
- `gradebook`: the course's gradebook read as its grader account (grades, assignments, waiting).
- `cli`: `tljh-lite course ...`; `plugin`: the hooks.

This module imports nothing, so `tljh_lite_courses_nbgrader`, installed beside it in the
students' environment, never pulls in tljh-lite.
"""
