"""The documentation says what the code does."""

import re
from pathlib import Path

from tljh_lite.config.defaults import DEFAULTS
from tljh_lite.config.schema import BASE_SCHEMA, known_keys
from tljh_lite.config.values import show_value

DOCS = Path(__file__).parent.parent / "docs" / "config.md"


def flatten(mapping, prefix=()):
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            yield from flatten(value, prefix + (key,))
        else:
            yield ".".join(prefix + (key,)), value


def documented_defaults():
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]*)` \|", DOCS.read_text(), flags=re.M)
    return dict(rows)


def test_every_default_is_documented_with_the_value_the_code_uses():
    code = {key: show_value(value) for key, value in flatten(DEFAULTS)}
    assert documented_defaults() == code


def test_every_leaf_key_of_the_schema_has_a_default():
    leaves = {k for k in known_keys(BASE_SCHEMA) if not any(o.startswith(k + ".") for o in known_keys(BASE_SCHEMA))}
    defaults = {key for key, _ in flatten(DEFAULTS) if not key.startswith("auth.FirstUse")}
    assert leaves == defaults


ROOT = Path(__file__).resolve().parent.parent
TOP_FOLDERS = ("docs", "tests", "integration-tests", "tljh_lite", "tljh", "bench", "installer", "plugins")
# A path inside this repository, as prose and docstrings name them: top/.../name.ext
REPO_PATH = re.compile(r"(?<![\w/.-])(?:%s)/[\w./-]*\w\.(?:py|md|sh|yaml|json|txt|js|toml)\b" % "|".join(TOP_FOLDERS))
MARKDOWN_LINK = re.compile(r"\]\(([\w./-]+\.md)(?:#[\w-]+)?\)")


def _texts():
    yield ROOT / "README.md"
    for folder in TOP_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".md", ".sh") and ".venv" not in path.parts:
                yield path


def test_nothing_in_the_repository_points_at_a_file_that_is_not_in_it():
    missing = []
    for path in _texts():
        text = path.read_text()
        for name in set(REPO_PATH.findall(text)):
            if not (ROOT / name).exists():
                missing.append(f"{path.relative_to(ROOT)} names {name}")
        if path.suffix == ".md":
            for link in set(MARKDOWN_LINK.findall(text)):
                if not (path.parent / link).exists():
                    missing.append(f"{path.relative_to(ROOT)} links to {link}")
    assert not missing, "; ".join(sorted(missing))


def test_the_docs_index_lists_every_page():
    index = (ROOT / "docs" / "README.md").read_text()
    unlisted = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "README.md" and f"({p.name})" not in index]
    assert not unlisted, f"docs/README.md does not list {', '.join(unlisted)}"
