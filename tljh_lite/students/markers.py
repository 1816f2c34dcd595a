"""Plugins' tljh_new_user_create runs once for every account, until it succeeds.

A "pending" marker is written before the account is created and removed only
after every hook returned. So a hook that failed runs again at the next start
of that student's server, and an account without a marker (it completed, or it
was made before markers existed) never runs the hooks again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable


class NewUserMarkers:
    def __init__(self, directory: Path | str):
        self.pending_dir = Path(directory) / "pending"

    def expect(self, account: str) -> None:
        """The account is about to be created: its hooks are owed until done()."""
        for directory in (self.pending_dir.parent, self.pending_dir):
            directory.mkdir(mode=0o700, exist_ok=True)
        (self.pending_dir / account).touch()

    def pending(self, account: str) -> bool:
        return (self.pending_dir / account).exists()

    def done(self, account: str) -> None:
        (self.pending_dir / account).unlink(missing_ok=True)

    def run_if_owed(self, account: str, hooks: Callable[[str], object]) -> bool:
        """Run the hooks if the account still owes them; True if they ran (and succeeded).

        An exception from the hooks leaves the marker, and propagates.
        """
        if not self.pending(account):
            return False
        hooks(account)
        self.done(account)
        return True
