"""MIGRATION.md: what the export could not carry over, and what to do instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Note:
    setting: str  # what on this hub: a config key, a plugin, a file
    why: str  # why it does not map (or maps only in part)
    instead: str  # what to do on the new hub


def render(notes: Iterable[Note], *, problems: Iterable[str] = (), source: str = "") -> str:
    notes, problems = list(notes), list(problems)
    lines = ["# Moving to Zero to JupyterHub: what needs you", ""]
    if source:
        lines += [f"Exported from {source}.", ""]
    if problems:
        lines += ["## values.yaml is NOT valid for the chart", "",
                  "`helm upgrade` would refuse it. Fix these first (each is a key path and the schema's complaint):", ""]
        lines += [f"- `{p}`" for p in problems] + [""]
    lines += ["## Settings that do not carry over", ""]
    if not notes:
        lines += ["None: everything in config.yaml is in values.yaml.", ""]
    for note in notes:
        lines += [f"### {note.setting}", "", f"- Why: {note.why}", f"- Instead: {note.instead}", ""]
    lines += [
        "## Always",
        "",
        "- Build and push the image (Dockerfile, requirements.txt), then set `singleuser.image` to where you pushed it.",
        "- Passwords: `users.json` holds bcrypt hashes; keep it private and delete it once the move is done.",
        "- The commands, in order: docs/scale-out.md of tljh-lite.",
        "",
    ]
    return "\n".join(lines)
