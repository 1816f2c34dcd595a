"""The kernel that runs students' notebooks for nbgrader (autograde, validate): no new privileges.

nbgrader runs a submission's code in a kernel of the account that
autogrades. In a course's formgrader that is its grader account, in a
sandboxed unit (it sees its course and nothing of /home). But an instructor
may run `nbgrader autograde` in her own terminal, and hub admins may use
sudo without a password (TLJH's model): a hostile notebook would become
root. Here the kernel starts under `setpriv --no-new-privs` (util-linux), as
students' servers run (NoNewPrivileges=yes): sudo and every other setuid
program fail in it, whoever autogrades.

What it does not stop (docs/courses.md, "Known limits"): the kernel still
runs as the account that autogrades, so it can read and write what that
account can (for the formgrader: the course folder and its gradebook).
"""

from __future__ import annotations

from jupyter_client import AsyncKernelManager

NO_NEW_PRIVILEGES = ["setpriv", "--no-new-privs", "--"]


class NoNewPrivilegesKernelManager(AsyncKernelManager):
    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return [*NO_NEW_PRIVILEGES, *super().format_kernel_cmd(extra_arguments)]
