"""The one error type of backups: one line, with what to do next."""

from __future__ import annotations

from ..errors import TljhError


class BackupError(TljhError):
    """A backup could not be made, or an archive cannot be restored; nothing was changed unless it says so."""
