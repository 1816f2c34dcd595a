"""`tljh-lite export z2jh`: everything a move to Zero to JupyterHub needs, in one private folder.

    values.yaml          the chart's values (checked against the chart's schema)
    values-secrets.yaml  TLS key and certificate, OAuth secrets (0600; only if there are any)
    users.json           users, admins, groups, FirstUse hashes (0600), for tljh-lite export users
    firstuse_passwords.py  puts those hashes into the new hub's FirstUse password file
    Dockerfile, requirements.txt  the students' environment, exact versions, for singleuser.image
    homes.sh             archives each home for its volume (run it as root)
    MIGRATION.md         what did not carry over, and what to do instead

Everything is written, even when values.yaml would not pass the chart's
schema; then the command fails, naming the problems (also in MIGRATION.md).
"""

from __future__ import annotations

import dbm
import io
import json
import os
import pwd
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import TljhError
from ..files import atomic_write
from ..paths import Paths
from ..unixname import PREFIX
from ..users.passwords import passwords_dbm
from ..users.stores import authenticator_kind
from . import chart, homes, image, migration, roster, values
from .migration import Note

PRIVATE, PUBLIC, SCRIPT = 0o600, 0o644, 0o700
DEFAULT_IMAGE = "registry.example.org/tljh-lite-user"
PLUGIN_HOOK_NOTES = {
    "tljh_custom_jupyterhub_config": ("it changes this hub's traitlets config at every start",
                                      "write the same settings under hub.config, or as Python in hub.extraConfig"),
    "tljh_new_user_create": ("it runs when a student's unix account is created; pods have none",
                             "do it in the image, or in singleuser.lifecycleHooks.postStart / "
                             "hub.config.Spawner.pre_spawn_hook (hub.extraConfig)"),
    "tljh_extra_hub_pip_packages": ("they are installed in this hub's environment",
                                    "build a hub image FROM quay.io/jupyterhub/k8s-hub with them; set hub.image"),
    "tljh_post_install": ("it ran on this machine at install",
                          "do what it did in the image (Dockerfile) or with an init container"),
    "tljh_lite_hub_access": ("it adds JupyterHub services, roles and groups at every start, and unix groups to "
                             "students' accounts, from this machine's config.yaml",
                             "write the services under hub.services, the roles under hub.loadRoles and the groups "
                             "under hub.config.JupyterHub.load_groups; a managed service (with a command) runs in "
                             "the hub's pod, an external one (a URL, no command) needs a pod of its own: see the "
                             "plugin's README"),
    "tljh_lite_backup_paths": ("its folders are on this machine's disk; homes.sh carries the homes only",
                               "copy them onto a volume the new hub's pods mount (tar them with owners: "
                               "tar --numeric-owner -cpzf), and give that volume to singleuser.storage.extraVolumes"),
    "tljh_lite_reconcile": ("it sets up this machine (accounts, folders, its own systemd units) from config.yaml "
                            "at every install and reload",
                            "give what it sets up to the chart: services under hub.services (or pods of their own), "
                            "folders on volumes the pods mount; see the plugin's README"),
    "tljh_lite_unix_accounts": ("it made unix accounts on this machine; pods run as one user (jovyan)",
                                "give what those accounts did to a service or pod of its own"),
}


@dataclass
class Exported:
    out: Path
    files: list[str]
    notes: list[Note]
    problems: list[str] = field(default_factory=list)
    users: int = 0
    with_password: int = 0


@dataclass(frozen=True)
class Machine:
    """What the export reads from this machine besides config.yaml (tests pass their own)."""

    paths: Paths
    os_release: Path = Path("/etc/os-release")
    hostname: str = ""

    def read_text(self, path: str) -> str:
        return Path(path).read_text()


def export_z2jh(config: Mapping[str, Any], machine: Machine, pm, out: Path, image_name: str = DEFAULT_IMAGE) -> Exported:
    """Write the export into `out` (created 0700); raise TljhError after writing if values.yaml is invalid."""
    paths = machine.paths
    user_image = image.user_image(image.installed(paths.user_venv),
                                  python=image.python_version(paths.user_venv) or "3",
                                  debian=debian_codename(machine.os_release),
                                  apt=_plugin_list(pm, "tljh_extra_apt_packages"))
    mapped = values.chart_values(config, image=(image_name, user_image.tag), read_text=machine.read_text)
    notes = mapped.notes + user_image.notes + _plugin_notes(pm) + _owned_key_notes(paths) + _config_d_notes(paths)
    problems = chart.problems(mapped.values, mapped.secrets)
    doc = roster.users_document(config, _hash_reader(config, paths), source=machine.hostname)
    source = machine.hostname or "this hub"

    files: dict[str, tuple[str, int]] = {
        "values.yaml": (VALUES_HEADER + yaml_text(mapped.values), PUBLIC),
        "users.json": (json.dumps(doc, indent=2) + "\n", PRIVATE),
        "firstuse_passwords.py": (Path(__file__).with_name("firstuse_passwords.py").read_text(), PUBLIC),
        "requirements.txt": (user_image.requirements, PUBLIC),
        "Dockerfile": (user_image.dockerfile, PUBLIC),
        "homes.sh": (homes.homes_script(u["name"] for u in doc["users"]), SCRIPT),
        "MIGRATION.md": (migration.render(notes, problems=problems, source=source), PUBLIC),
    }
    if mapped.secrets:
        files["values-secrets.yaml"] = (SECRETS_HEADER + yaml_text(mapped.secrets), PRIVATE)
    _make_private_dir(out)
    stale = out / "values-secrets.yaml"
    if "values-secrets.yaml" not in files and stale.exists():
        stale.unlink()  # from an earlier export with secrets: it would still be passed to helm
    for name, (text, mode) in files.items():
        atomic_write(out / name, text, mode=mode)
    exported = Exported(out, sorted(files), notes, problems, len(doc["users"]),
                        sum(1 for u in doc["users"] if u["firstuse_bcrypt"]))
    if problems:
        raise TljhError(f"values.yaml in {out} would not pass the chart's schema: {problems[0]}"
                        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                        f"see {out / 'MIGRATION.md'}; the other files are written")
    return exported


def debian_codename(os_release: Path) -> str:
    """VERSION_CODENAME (bookworm, trixie): the python image of the same Debian; bookworm if unknown."""
    try:
        for line in os_release.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "VERSION_CODENAME" and value.strip('"') in ("bookworm", "trixie"):
                return value.strip('"')
    except OSError:
        pass
    return "bookworm"  # Ubuntu's codenames have no python image; its packages match Debian's closely


def hostname() -> str:
    return socket.getfqdn()


def _hash_reader(config, paths: Paths):
    def read(names: Iterable[str]) -> dict[str, bytes]:
        if authenticator_kind(config) != "firstuse":
            return {}
        try:
            with dbm.open(str(passwords_dbm(paths)), "r") as db:
                return {n: db[n.encode()] for n in names if n.encode() in db}
        except dbm.error:  # no password stored yet (or no file)
            return {}
    return read


def _plugin_list(pm, hook: str) -> list:
    """What the installed plugins ask for, tljh-lite's own (the hub's packages) left out."""
    if pm is None:
        return []
    from ..plugins import BUILTIN_NAME, per_plugin

    return sorted({item for name, items in per_plugin(pm, hook) if name != BUILTIN_NAME for item in items or []})


def _plugin_notes(pm) -> list[Note]:
    if pm is None:
        return []
    from ..plugins import BUILTIN_NAME, describe

    notes = []
    for info in describe(pm):
        if info.name == BUILTIN_NAME:
            continue
        for hook in info.hooks:
            if hook in PLUGIN_HOOK_NOTES:
                why, instead = PLUGIN_HOOK_NOTES[hook]
                notes.append(Note(f"plugin {info.distribution} {info.version}: {hook}", why, instead))
    return notes


def _owned_key_notes(paths: Paths) -> list[Note]:
    from ..config.owned import read_owned

    return [Note(f"config key {key} (plugin {plugin}'s)", "the plugin reads it on this machine",
                 "do what it sets in the image or in hub.extraConfig") for key, plugin in read_owned(paths).items()]


def _config_d_notes(paths: Paths) -> list[Note]:
    try:
        found = sorted(paths.config_d.glob("*.py"))
    except OSError:
        return []
    return [Note(f"{path}", "Python run by this hub at every start, with this machine's paths",
                 "copy what still applies into hub.extraConfig in values.yaml (one key per file)") for path in found]


def _make_private_dir(out: Path) -> None:
    """`out` as a folder only root enters (0700): made if missing, or an existing one of root's own.

    users.json holds password hashes, values-secrets.yaml the TLS key. A folder
    someone else owns (a student can make /tmp/z2jh before the professor
    exports there), or a link to one, would let her read or replace them; so
    would a folder inside a hub account's (she could swap it for another).
    """
    ancestor = next(parent for parent in out.parents if parent.exists())
    owner = _owner(ancestor)
    if owner.startswith(PREFIX):
        raise TljhError(f"{ancestor} belongs to the hub account {owner}, who could swap the export's folder "
                        "for another", "give --out a folder outside the hub users' homes, like /root/z2jh")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise TljhError(f"{out} is {'a link' if out.is_symlink() else 'not a folder'}",
                        "give --out a new folder, or an existing one of root's")
    _check_ours(out)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    _check_ours(out)  # it may have been made meanwhile by someone else
    os.chmod(out, 0o700)  # users.json and the secrets are in it: nobody else lists or reads it


def _check_ours(folder: Path) -> None:
    try:
        uid = folder.lstat().st_uid
    except FileNotFoundError:
        return
    if uid != os.geteuid():
        raise TljhError(f"{folder} belongs to {_owner(folder)}, not root, who could read users.json's password "
                        "hashes and the secrets, or change them", f"give --out a new folder (made root's, 0700), "
                        f"or make this one root's: sudo chown root: {folder}")


def _owner(path: Path) -> str:
    uid = path.lstat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def yaml_text(data: Any) -> str:
    """Block-style YAML; multi-line strings (PEM) as literal blocks."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    def literal(value):
        if isinstance(value, dict):
            return {k: literal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [literal(v) for v in value]
        if isinstance(value, str) and "\n" in value:
            return LiteralScalarString(value)
        return value

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(literal(data), out)
    return out.getvalue()


VALUES_HEADER = """\
# Zero to JupyterHub values exported by tljh-lite (tljh-lite export z2jh), checked against the
# chart's schema (zero-to-jupyterhub-k8s 48ea50e, JupyterHub 5.5). Install with:
#   helm upgrade --install jhub jupyterhub/jupyterhub -f values.yaml [-f values-secrets.yaml]
# What did not carry over: MIGRATION.md.
"""
SECRETS_HEADER = """\
# Secrets for the chart (keep private: 0600): pass after values.yaml, -f values-secrets.yaml.
"""
