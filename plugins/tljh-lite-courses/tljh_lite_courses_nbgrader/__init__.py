"""What tljh-lite-courses runs inside nbgrader, in the students' environment (/opt/tljh/user).

Installed there beside nbgrader once a course exists. Imports nbgrader and the
standard library only: tljh-lite is not in that environment.

- `lazy`: a server extension that loads nbgrader's assignment list and validator at first use.
- `autograde.NoNewPrivilegesKernelManager`: students' code, run by nbgrader, gains no privileges.
- `auth.CourseAuthPlugin`: nbgrader's JupyterHub auth plugin; a formgrader's course is its service's.
- `collect.OwnerCheckedCollect`: nbgrader's collector, with submissions filed
  under the account that made them and nothing but plain files and folders copied.
- `listing.CourseAwareList`: nbgrader's exchange list, looking in her courses by name (the root is not listable).
- `gradebook`: `python -m tljh_lite_courses_nbgrader.gradebook COURSE_FOLDER` prints
  the course's assignments, scores and waiting submissions as JSON (run as its grader).
"""
