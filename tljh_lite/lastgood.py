"""The last config the hub started with, kept so a failed reload can go back to it.

It is config.yaml plus jupyterhub_config.d/*.py, copied into the state
directory after every successful start. Going back never loses the
professor's edits: the rejected files are moved aside, and we say where.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .paths import Paths


class LastGood:
    def __init__(self, paths: Paths):
        self.paths = paths
        self.saved = paths.state_dir / "last-good"

    def exists(self) -> bool:
        return self.saved.is_dir()

    @property
    def config_file(self) -> Path:
        """The saved copy of config.yaml."""
        return self.saved / self.paths.config_file.name

    def save(self) -> None:
        staging = self.saved.with_name("last-good.new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700, parents=True)
        for source, name in self._live_files():
            shutil.copy2(source, staging / name)
        shutil.rmtree(self.saved, ignore_errors=True)
        staging.rename(self.saved)

    def restore(self) -> Path:
        """Put the saved files back; returns the folder the rejected ones were moved to."""
        rejected = self.paths.config_dir / "rejected" / time.strftime("%Y%m%d-%H%M%S")
        rejected.mkdir(mode=0o700, parents=True, exist_ok=True)
        for source, name in self._live_files():
            shutil.move(source, rejected / name)
        self.paths.config_d.mkdir(parents=True, exist_ok=True)
        for copy in self.saved.iterdir():
            if copy.name == self.paths.config_file.name:
                shutil.copy2(copy, self.paths.config_file)
            else:
                shutil.copy2(copy, self.paths.config_d / copy.name.removeprefix("config.d-"))
        return rejected

    def _live_files(self):
        if self.paths.config_file.exists():
            yield self.paths.config_file, self.paths.config_file.name
        for snippet in sorted(self.paths.config_d.glob("*.py")):
            yield snippet, f"config.d-{snippet.name}"
