"""What every subcommand works on: the paths, the config file, its schema."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..config.file import ConfigFile
from ..errors import PermissionNeededError, TljhError
from ..paths import Paths


@dataclass
class Context:
    paths: Paths
    config_path: Path

    @property
    def file(self) -> ConfigFile:
        return ConfigFile(self.config_path)

    @cached_property
    def checker(self):
        from ..config.checker import config_checker  # jsonschema and plugins: only when needed

        return config_checker(paths=self.paths)  # installed plugins' keys are validated too

    def require_access(self) -> None:
        """The installed config is root's; a file of your own needs no root."""
        if os.geteuid() != 0 and self.config_path == self.paths.config_file:
            raise PermissionNeededError(
                f"this command needs root to use {self.config_path}",
                "run it with sudo, e.g. sudo tljh-config show",
            )

    def checked_config(self) -> dict:
        """The config in effect (defaults overlaid with the file), after the access and validity checks."""
        self.require_access()
        config = self.file.load()
        self.checker.check(config)
        return self.checker.merged(config)

    def require_installed_hub(self, what: str) -> None:
        """Root, the installed config, and a hub installed to apply it (`what`: "reload applies", ...)."""
        self.require_access()
        if self.config_path != self.paths.config_file:
            raise TljhError(f"{what} the installed config only", "run it without --config-path")
        hub = self.paths.hub_venv / "bin" / "jupyterhub"
        if not hub.exists():
            self.checker.check(self.file.load())
            raise TljhError(
                f"no hub is installed under {self.paths.prefix} ({hub} is missing), so there is nothing to reload",
                "install tljh-lite with installer/bootstrap.py; it will use this config",
            )
