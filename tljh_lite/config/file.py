"""Reading and safely rewriting config.yaml.

Edits run under a lock; the new text goes to a private temporary file beside
the target, is fsynced, and is swapped in with os.replace, so the file on disk
is always either the old version or the new one, never half of each. Nothing
is written when nothing changed, and we refuse to overwrite a file that
something else changed while we were editing it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout
from ruamel.yaml.comments import CommentedMap

from ..errors import ConfigBusyError, ConfigError, PermissionNeededError
from ..files import atomic_write
from . import yaml

FILE_MODE = 0o600  # config.yaml may hold OAuth secrets and passwords
DIR_MODE = 0o700


class ConfigFile:
    def __init__(self, path: Path, lock_timeout: float = 5.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    def read_text(self) -> str:
        """The file's text; a missing file reads as empty (every key at its default)."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except PermissionError as e:
            raise _permission_error(self.path, "read") from e
        except UnicodeDecodeError as e:
            raise ConfigError(f"{self.path} is not UTF-8 text", "fix or remove the file by hand") from e

    def load(self) -> CommentedMap:
        return yaml.loads(self.read_text(), source=str(self.path))

    def update(self, change: Callable[[CommentedMap], CommentedMap]) -> bool:
        """Apply change() to the file's contents under the lock; True if written.

        change() returns its argument unchanged to mean "nothing to do".
        """
        with self._locked():
            old_text = self.read_text()
            old = yaml.loads(old_text, source=str(self.path))
            new = change(old)
            new_text = yaml.dumps(new)
            if new is old or new_text == old_text:
                return False
            self._write(new_text, expected_old=old_text)
            return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_dir()
        lock = FileLock(str(self.path) + ".lock", timeout=self.lock_timeout, mode=FILE_MODE)
        try:
            with lock:
                yield
        except Timeout as e:
            raise ConfigBusyError(
                f"another tljh-config is changing {self.path} (waited {self.lock_timeout:g} s)",
                "try again in a moment",
            ) from e
        except PermissionError as e:
            raise _permission_error(self.path, "lock") from e

    def _ensure_dir(self) -> None:
        directory = self.path.parent
        if directory.is_dir():
            return
        try:
            directory.mkdir(parents=True, mode=DIR_MODE)
            directory.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask
        except PermissionError as e:
            raise _permission_error(directory, "create") from e

    def _write(self, text: str, expected_old: str) -> None:
        def unchanged_since_read() -> None:
            if self.read_text() != expected_old:
                raise ConfigError(
                    f"{self.path} was changed by something else while tljh-config was editing it",
                    "nothing was written; run the command again",
                )

        try:
            atomic_write(self.path, text, FILE_MODE, before_replace=unchanged_since_read, owner=self._owner())
        except PermissionError as e:
            raise _permission_error(self.path, "write") from e

    def _owner(self) -> tuple[int, int] | None:
        """Keep the owner of an existing file (root can change it; others need not)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()) and os.geteuid() == 0:
            return st.st_uid, st.st_gid
        return None


def _permission_error(path: Path, action: str) -> PermissionNeededError:
    return PermissionNeededError(
        f"permission denied: cannot {action} {path}",
        "run tljh-config with sudo, or use --config-path with a file you own",
    )
