"""The command seam of tljh-lite, with TLJH's error type, for the `tljh.*` modules.

TLJH's helpers raise subprocess.CalledProcessError when a command fails, and
plugins catch it. Ours raise an error that is both that and tljh-lite's
CommandError, so plugins' `except` clauses still work and the installer
still reports it in one line with the command's last output.
"""

from __future__ import annotations

import subprocess

from tljh_lite.runner import CommandError, Runner


class CalledProcessError(CommandError, subprocess.CalledProcessError):
    def __init__(self, error: CommandError):
        Exception.__init__(self, error.message)  # both parents' __init__ chain to super(): set fields here
        self.message, self.hint, self.result = error.message, error.hint, error.result
        self.returncode, self.cmd = error.result.returncode, error.result.argv
        self.output, self.stderr = error.result.stdout, error.result.stderr


class PluginRunner(Runner):
    def run(self, argv, **kwargs):
        try:
            return super().run(argv, **kwargs)
        except CommandError as e:
            raise CalledProcessError(e) from None
