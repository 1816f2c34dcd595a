"""One problem with a config: the key, a sentence a professor reads, and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import ConfigError


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    hint: str | None = None

    def as_error(self) -> ConfigError:
        return ConfigError(self.message, self.hint)


def display_key(path: Iterable[Any]) -> str:
    """['users', 'allowed', 0] -> 'users.allowed[0]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def with_count(problem: Problem, total: int) -> Problem:
    if total <= 1:
        return problem
    more = f"{total - 1} more problem{'s' if total > 2 else ''}: run tljh-config validate"
    hint = f"{problem.hint} ({more})" if problem.hint else more
    return Problem(problem.key, problem.message, hint)
