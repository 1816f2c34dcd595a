"""Which key and certificate the proxy serves for a config, and where certbot keeps its own."""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

CERT_NAME = "tljh-lite"
LETSENCRYPT_DIR = Path("/etc/letsencrypt")


@dataclass(frozen=True)
class Lineage:
    """Where certbot keeps the certificate of one name (certbot's "lineage")."""

    root: Path = LETSENCRYPT_DIR
    name: str = CERT_NAME

    @property
    def key(self) -> Path:
        return self.root / "live" / self.name / "privkey.pem"

    @property
    def fullchain(self) -> Path:
        return self.root / "live" / self.name / "fullchain.pem"

    @property
    def renewal_conf(self) -> Path:
        return self.root / "renewal" / f"{self.name}.conf"

    def server(self) -> str | None:
        """The ACME directory this lineage was issued by (certbot renews from the same)."""
        parser = configparser.ConfigParser(interpolation=None)
        try:
            text = self.renewal_conf.read_text()
        except FileNotFoundError:
            return None
        # certbot's renewal files have keys before any section header.
        parser.read_string("[top]\n" + text)
        for section in parser.sections():
            if parser.has_option(section, "server"):
                return parser.get(section, "server")
        return None


@dataclass(frozen=True)
class TlsFiles:
    key: Path
    cert: Path
    own: bool  # the professor's files (https.tls.*), else the ACME lineage

    @property
    def settings(self) -> tuple[str, str]:
        """The config keys that name these files, for error messages."""
        return ("https.tls.key", "https.tls.cert") if self.own else ("", "")


def tls_files(config: Mapping[str, Any], lineage: Lineage = Lineage()) -> TlsFiles | None:
    """None when HTTPS is off; own files when both https.tls keys are set; else certbot's lineage."""
    https = config["https"]
    if not https["enabled"]:
        return None
    if https["tls"]["key"] and https["tls"]["cert"]:
        return TlsFiles(Path(https["tls"]["key"]), Path(https["tls"]["cert"]), own=True)
    return TlsFiles(lineage.key, lineage.fullchain, own=False)
